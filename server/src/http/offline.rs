//! Offline check-ins: a kiosk fetches the tenant's offline public key and its provisional badge
//! prefix (`GET /api/v1/kiosk/offline-key`) while it can, seals the check-ins it takes while it
//! cannot reach any server, and delivers them once one answers (`POST /api/v1/kiosk/visits/sealed`,
//! each with its original `Idempotency-Key`). A delivered check-in opens only under a current or
//! recently retired key, for the kiosk that sealed it, with the key and time it was sealed with;
//! it is recorded at that time, flagged `offline`, and goes on as any check-in (the host's email
//! goes out now). The same delivery twice is one visit.

use axum::{extract::State, http::HeaderMap};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Duration;
use utoipa_axum::{router::OpenApiRouter, routes};
use vestibule_shared::{
    ErrorEnvelope,
    dto::{
        offline::{
            CLOCK_SKEW_SECS, OFFLINE_WINDOW_HOURS, OfflineCheckIn, OfflineKey, SealedCheckIn,
            associated_data, badge_prefix,
        },
        visits::CheckedIn,
    },
};

use super::{
    device::{CheckInAnswer, check_in_router, idempotency_key, record_check_in},
    extract::{ApiJson, parse_value},
};
use crate::{auth::Kiosk, crypto::offline, error::Error, state::AppState, store::Offline};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(offline_key))
        .merge(check_in_router(
            OpenApiRouter::new().routes(routes!(deliver)),
        ))
}

/// The tenant's offline public key (X25519, base64url) and this kiosk's id and provisional badge
/// prefix. The key changes when the tenant's data key is rotated; a kiosk asks again at every
/// settings refresh.
#[utoipa::path(get, path = "/api/v1/kiosk/offline-key", tag = "kiosk",
    responses((status = 200, body = OfflineKey), (status = 409, body = ErrorEnvelope)),
    security(("device" = [])))]
async fn offline_key(
    State(state): State<AppState>,
    k: Kiosk,
) -> Result<ApiJson<OfflineKey>, Error> {
    let mut tx = state.store.write(k.tenant).await?;
    let key = tx.offline_key().await?;
    let slot = tx.offline_slot(k.kiosk.id).await?.ok_or(Error::Conflict(
        "every provisional badge prefix of this tenant is taken",
    ))?;
    tx.commit().await?;
    Ok(ApiJson(OfflineKey {
        kid: key.kid,
        public_key: URL_SAFE_NO_PAD.encode(&key.public_key),
        kiosk_id: k.kiosk.id,
        badge_prefix: badge_prefix(slot),
        window_hours: OFFLINE_WINDOW_HOURS,
    }))
}

/// Delivers a check-in the kiosk sealed while it could not reach the server. Refused (422,
/// nothing changes) when its time is in the future or older than the offline window, its key is
/// unknown or retired too long ago, or it does not open: sealed by another kiosk, under another
/// idempotency key or time, or altered. Answers as a check-in does.
#[utoipa::path(post, path = "/api/v1/kiosk/visits/sealed", tag = "kiosk", request_body = SealedCheckIn,
    params(("Idempotency-Key" = String, Header, pattern = "^[A-Za-z0-9_:.-]{1,128}$",
        description = "The key the check-in was sealed with")),
    responses((status = 201, body = CheckedIn), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope),
        (status = 429, body = ErrorEnvelope)),
    security(("device" = [])))]
async fn deliver(
    State(state): State<AppState>,
    k: Kiosk,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SealedCheckIn>,
) -> Result<CheckInAnswer, Error> {
    let key = idempotency_key(&headers)?;
    let now = state.clock.now();
    if body.sealed_at > now + Duration::seconds(CLOCK_SKEW_SECS) {
        return Err(Error::InvalidInput("sealed_at: is in the future".into()));
    }
    if body.sealed_at < now - Duration::hours(OFFLINE_WINDOW_HOURS) {
        return Err(Error::InvalidInput(format!(
            "sealed_at: is older than {OFFLINE_WINDOW_HOURS} hours"
        )));
    }
    let decode = |field: &str, text: &str| {
        URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| Error::InvalidInput(format!("{field}: must be base64url without padding")))
    };
    let (enc, ciphertext) = (
        decode("enc", &body.enc)?,
        decode("ciphertext", &body.ciphertext)?,
    );
    let (private, slot) = {
        let mut tx = state.store.read(k.tenant).await?;
        let private = tx.opening_key(body.kid, now).await?;
        let slot = tx.kiosk_slot(k.kiosk.id).await?;
        tx.commit().await?;
        let private = private.ok_or_else(|| {
            Error::InvalidInput("kid: no such offline key, or retired too long ago".into())
        })?;
        (private, slot)
    };
    let aad = associated_data(k.kiosk.id, &key, body.sealed_at);
    let plain = offline::open(&private, &enc, &ciphertext, &aad)?;
    let value: serde_json::Value = serde_json::from_slice(&plain)
        .map_err(|_| Error::InvalidInput("ciphertext: the sealed check-in is not JSON".into()))?;
    drop(plain);
    let sealed: OfflineCheckIn = parse_value(value)?;
    // The kiosk sealed it with a code of its own prefix, which it had with the key.
    if !slot.is_some_and(|slot| sealed.badge_code.as_str().starts_with(&badge_prefix(slot))) {
        return Err(Error::InvalidInput(
            "badge_code: not one of this kiosk's provisional codes".into(),
        ));
    }
    let offline = Offline {
        at: body.sealed_at,
        badge: sealed.badge_code,
    };
    let (status, replayed, ApiJson(mut visit)) = record_check_in(
        &state,
        &k,
        k.actor(),
        &headers,
        sealed.check_in,
        Some(offline),
    )
    .await?;
    visit.offline = true;
    Ok((status, replayed, ApiJson(visit)))
}
