//! Checking in with an invitation's code at a kiosk (`POST /api/v1/kiosk/visits` with
//! `invite_code`). The code stands for the visitor's details and their host: in one transaction
//! the invitation is found by the code's keyed hash, the visit is written from its sealed details
//! and the invitation is marked used. The kiosk gets back only the visitor's first name and the
//! host's name. A code that is unknown, used, cancelled, expired or of another site is one answer
//! (404), and counts as a miss towards the kiosk's back-off, like an unknown badge code at
//! check-out. Replaying the same `Idempotency-Key` answers the same visit. Before the agreement, the
//! kiosk may look a code up (`POST /api/v1/kiosk/invites/lookup`) to greet the visitor by their
//! first name: the same answers, the same count of misses, nothing written.

use axum::{extract::State, http::HeaderMap};
use utoipa_axum::{router::OpenApiRouter, routes};
use vestibule_shared::{
    ErrorEnvelope,
    dto::{
        invites::{InviteGreeting, InviteLookup, InviteState, RedeemInvite},
        visits::VisitorDetails,
    },
    types::{CompanyName, Email, InviteCode, PersonName},
};

use super::{
    device::{CheckInAnswer, announce, answer, idempotency, missed, not_waiting},
    extract::ApiJson,
};
use crate::{
    auth::Kiosk,
    error::Error,
    state::AppState,
    store::{Actor, Flow, InviteRow, NewVisit, TenantTx},
};

/// What a kiosk's wait after wrong invitation codes is audited and counted as.
const BACKOFF: &str = "invite_backoff";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(lookup))
}

/// Checks the invited visitor in.
pub(super) async fn redeem(
    state: &AppState,
    k: &Kiosk,
    headers: &HeaderMap,
    body: RedeemInvite,
) -> Result<CheckInAnswer, Error> {
    let (key, hash) = idempotency(headers, &body)?;
    let mut tx = state.store.write(k.tenant).await?;
    let before = not_waiting(&mut tx, k, BACKOFF).await?;
    let Some(invite) = usable(&mut tx, k, Some(&key), &body.invite_code).await? else {
        return missed(tx, k, BACKOFF).await;
    };
    let new = visit_of(
        &invite,
        body.purpose.map(Into::into),
        k.actor(),
        Some(k.kiosk.id),
        Some((key, hash)),
    )?;
    let (visit, replayed) = tx.check_in(&new).await?;
    if !replayed {
        tx.invite_checked_in(k.actor(), invite.id, visit.id).await?;
        if before.misses > 0 {
            tx.clear_badge_misses(k.kiosk.id).await?;
        }
    }
    tx.commit().await?;
    state.store.kick_sealer(k.tenant);
    if !replayed {
        announce(state, k.tenant, &visit, (invite.site_id, invite.host_id)).await;
    }
    let first = first_name(&invite.visitor_name);
    let answered = super::views::checked_in(visit, Some(first), Some(invite.host_name));
    Ok(answer(replayed, answered))
}

/// Looks an invitation's code up for the kiosk's greeting, before the agreement.
#[utoipa::path(post, path = "/api/v1/kiosk/invites/lookup", tag = "kiosk", request_body = InviteLookup,
    responses((status = 200, body = InviteGreeting), (status = 404, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)),
    security(("device" = [])))]
async fn lookup(
    State(state): State<AppState>,
    k: Kiosk,
    ApiJson(body): ApiJson<InviteLookup>,
) -> Result<ApiJson<InviteGreeting>, Error> {
    let mut tx = state.store.write(k.tenant).await?;
    not_waiting(&mut tx, &k, BACKOFF).await?;
    let Some(invite) = usable(&mut tx, &k, None, &body.invite_code).await? else {
        return missed(tx, &k, BACKOFF).await;
    };
    tx.commit().await?;
    Ok(ApiJson(InviteGreeting {
        visitor_first_name: first_name(&invite.visitor_name),
        host_name: invite.host_name,
    }))
}

/// The first word of a name (what the kiosk greets the visitor by).
pub(super) fn first_name(name: &str) -> String {
    name.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The visit an invitation stands for (its visitor's details, its host and site).
pub(super) fn visit_of(
    invite: &InviteRow,
    purpose: Option<String>,
    actor: Actor,
    kiosk_id: Option<uuid::Uuid>,
    idempotency: Option<(String, Vec<u8>)>,
) -> Result<NewVisit, Error> {
    let stored = |_| Error::Internal(anyhow::anyhow!("a stored invitation does not validate"));
    Ok(NewVisit {
        site_id: invite.site_id,
        host_id: invite.host_id,
        visitor: VisitorDetails {
            name: PersonName::parse(&invite.visitor_name).map_err(stored)?,
            email: Email::parse(&invite.visitor_email).map_err(stored)?,
            company: invite
                .visitor_company
                .as_deref()
                .map(CompanyName::parse)
                .transpose()
                .map_err(stored)?,
            phone: None,
        },
        purpose,
        actor,
        kiosk_id,
        idempotency,
        flow: Flow::Vouched,
        offline: None,
    })
}

/// The invitation of this code if this kiosk may check its visitor in: expected today at the
/// kiosk's site, or already used by this very request (a retry under the same `key`).
async fn usable(
    tx: &mut TenantTx,
    k: &Kiosk,
    key: Option<&str>,
    code: &InviteCode,
) -> Result<Option<InviteRow>, Error> {
    let Some(invite) = tx
        .invite_by_code(code)
        .await?
        .filter(|i| i.site_id == k.kiosk.site_id)
    else {
        return Ok(None);
    };
    let ok = match (invite.state, key) {
        (InviteState::Expected, _) => true,
        (InviteState::CheckedIn, Some(key)) => {
            invite.visit_id.is_some() && tx.visit_by_key(k.kiosk.id, key).await? == invite.visit_id
        }
        _ => false,
    };
    Ok(ok.then_some(invite))
}
