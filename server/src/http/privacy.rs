//! The data-subject rights, for admins: everything the tenant holds about one person, found by
//! their email's blind index, as one JSON export; and its erasure, which answers the counts. Both
//! are audited with the blind index, never the email.

use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};
use vestibule_shared::{
    ErrorEnvelope,
    dto::{
        passes::VisitorPass,
        privacy::{Erased, Subject, SubjectExport},
    },
};

use super::{extract::ApiJson, views};
use crate::{auth::Admin, error::Error, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export))
        .routes(routes!(erase))
}

/// Every record held about the person with this email: visits, invitations, passes.
#[utoipa::path(post, path = "/api/v1/privacy/export", tag = "privacy", request_body = Subject,
    responses((status = 200, body = SubjectExport), (status = 422, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn export(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiJson(body): ApiJson<Subject>,
) -> Result<ApiJson<SubjectExport>, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    let idx = tx.email_index(&body.email);
    let visits = tx.visits_by_email_idx(&idx).await?;
    let invites = tx.invites_by_email_idx(&idx).await?;
    let passes = tx.passes_by_email_idx(&idx).await?;
    let now = tx.now();
    tx.audit(
        a.actor(),
        "privacy.export",
        format!("email_idx:{}", hex::encode(&idx)),
    )
    .await?;
    tx.commit().await?;
    Ok(ApiJson(SubjectExport {
        email: body.email,
        visits: visits.into_iter().map(views::visit).collect(),
        invites: invites
            .into_iter()
            .map(|i| views::invite(i, None))
            .collect(),
        passes: passes
            .into_iter()
            .map(|p| VisitorPass {
                id: p.id,
                state: p.state(now),
                visit_id: p.visit_id,
                issued_at: p.issued_at,
                expires_at: p.expires_at,
                revoked_at: p.revoked_at,
                uses: p.uses,
                last_used_at: p.last_used_at,
            })
            .collect(),
    }))
}

/// Removes everything held about the person with this email; answers what it removed.
#[utoipa::path(post, path = "/api/v1/privacy/erase", tag = "privacy", request_body = Subject,
    responses((status = 200, body = Erased), (status = 422, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn erase(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiJson(body): ApiJson<Subject>,
) -> Result<ApiJson<Erased>, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    let idx = tx.email_index(&body.email);
    let erased = tx.erase_subject(&idx).await?;
    tx.audit(
        a.actor(),
        "privacy.erase",
        format!(
            "email_idx:{}:visits={},visitors={},invites={},passes={}",
            hex::encode(&idx),
            erased.erased_visits,
            erased.erased_visitors,
            erased.erased_invites,
            erased.erased_passes
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(ApiJson(erased))
}
