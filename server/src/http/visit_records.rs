//! What a visit of a visitor type recorded, for staff: the type, the answers, the agreements
//! signed (their PDFs are `agreements.rs`), the photo, and the host's approval. A host sees only
//! their own visits' records, like the visits themselves.

use axum::{
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::visitor_types::{Approval, ApprovalState, RecordedAnswer, SignedAgreement, VisitRecord},
    dto::visits::VisitStatus,
    types::Language,
};

use super::extract::{ApiJson, ApiPath};
use crate::{
    auth::Staff,
    error::Error,
    state::AppState,
    store::{TenantTx, VisitRow},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(record))
        .routes(routes!(photo))
}

/// Visit `id` if `staff` may see it (a host: only their own); else `NotFound`.
pub(super) async fn visible(tx: &mut TenantTx, staff: &Staff, id: Uuid) -> Result<VisitRow, Error> {
    let own = staff.own_visits()?;
    let visit = tx.visit(id).await?.ok_or(Error::NotFound)?;
    // A held visitor stays between the desk and the watchlist until admitted.
    if let Some(email) = &own
        && (visit.status == VisitStatus::Held || !tx.hosted_by(visit.host_id, email).await?)
    {
        return Err(Error::NotFound);
    }
    Ok(visit)
}

/// The approval's state as stored in `visits.approval`.
pub(super) fn approval_state(stored: &str) -> ApprovalState {
    match stored {
        "approved" => ApprovalState::Approved,
        "denied" => ApprovalState::Denied,
        _ => ApprovalState::Pending,
    }
}

/// What a visit of a visitor type recorded; `404` for a visit of the built-in flow.
#[utoipa::path(get, path = "/api/v1/visits/{id}/record", tag = "visits", params(("id" = Uuid, Path)),
    responses((status = 200, body = VisitRecord), (status = 404, body = ErrorEnvelope)), security(("session" = [])))]
async fn record(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<VisitRecord>, Error> {
    let mut tx = state.store.read(staff.tenant).await?;
    visible(&mut tx, &staff, id).await?;
    let r = tx.visit_record(id).await?.ok_or(Error::NotFound)?;
    let signed = tx.visit_agreements(id).await?;
    tx.commit().await?;
    let answers: Vec<RecordedAnswer> = match &r.answers {
        Some(json) => serde_json::from_str(json).map_err(|e| Error::Internal(e.into()))?,
        None => Vec::new(),
    };
    let agreements = signed
        .into_iter()
        .map(|s| SignedAgreement {
            document_id: s.agreement_id,
            name: s.name,
            version: s.version.try_into().unwrap_or_default(),
            language: Language::from_stored(&s.language),
            sha256: hex::encode(s.sha256),
            signed_at: s.signed_at,
        })
        .collect();
    let approval = r.approval.as_deref().map(|a| Approval {
        state: approval_state(a),
        decided_at: r.decided_at,
        decided_by: r.decided_by.clone(),
    });
    Ok(ApiJson(VisitRecord {
        visitor_type_id: r.visitor_type_id,
        visitor_type: r.type_name,
        answers,
        agreements,
        photo: r.photo,
        approval,
    }))
}

/// The visitor's photo (JPEG), for staff who may see the visit.
#[utoipa::path(get, path = "/api/v1/visits/{id}/photo", tag = "visits", params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 404, body = ErrorEnvelope)),
    security(("session" = [])))]
async fn photo(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, Error> {
    let mut tx = state.store.read(staff.tenant).await?;
    visible(&mut tx, &staff, id).await?;
    let photo = tx.visit_photo(id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(jpeg(photo.to_vec()))
}

/// A photo as a response that no cache keeps.
pub(super) fn jpeg(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response()
}
