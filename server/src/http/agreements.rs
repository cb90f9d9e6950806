//! Agreement documents (admin): a name for staff and a text per language, published as
//! versions. Publishing again makes the next version; a version is never changed, and deleting
//! archives the document, so that a visit always finds the exact text its visitor signed. Staff
//! download a visit's signed agreement as a PDF (`mail::agreement` renders it).

use std::collections::BTreeMap;

use axum::{
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::visitor_types::{Agreement, AgreementBody, AgreementInput, AgreementText},
    types::{DocumentText, Label, Language},
};

use super::extract::{ApiJson, ApiPath};
use crate::{
    auth::{Admin, Staff},
    error::Error,
    ids::new_id,
    state::AppState,
    store::{AgreementRow, TenantTx},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get_one, publish, archive))
        .routes(routes!(signed_pdf))
}

/// The stored texts of a version: per language the title, the body and their SHA-256.
pub(super) type StoredTexts = BTreeMap<Language, AgreementText>;

/// The SHA-256 (hex) of what the kiosk shows of one language's text: the title, a blank line,
/// the body.
pub(super) fn text_hash(title: &str, body: &str) -> String {
    hex::encode(Sha256::digest(format!("{title}\n\n{body}").as_bytes()))
}

/// A stored version's texts.
pub(super) fn stored_texts(json: &str) -> Result<StoredTexts, Error> {
    serde_json::from_str(json).map_err(|e| Error::Internal(e.into()))
}

fn view(row: AgreementRow) -> Result<Agreement, Error> {
    let stored = |_| Error::Internal(anyhow::anyhow!("a stored agreement does not validate"));
    let mut texts = BTreeMap::new();
    for (lang, t) in stored_texts(&row.texts)? {
        let body = AgreementBody {
            title: Label::parse(&t.title).map_err(stored)?,
            body: DocumentText::parse(&t.body).map_err(stored)?,
        };
        texts.insert(lang, body);
    }
    Ok(Agreement {
        id: row.id,
        name: row.name,
        version: row.version.try_into().unwrap_or_default(),
        texts,
        updated_at: row.updated_at,
    })
}

/// Publishes `body` as the first version of a new document (`id` absent) or the next of `id`.
async fn put(
    tx: &mut TenantTx,
    a: &Staff,
    id: Option<Uuid>,
    body: &AgreementInput,
) -> Result<Agreement, Error> {
    if body.texts.is_empty() {
        return Err(Error::InvalidInput(
            "texts: give the text in at least one language".into(),
        ));
    }
    let texts: StoredTexts = body
        .texts
        .iter()
        .map(|(lang, t)| {
            let (title, body) = (t.title.as_str(), t.body.as_str());
            let text = AgreementText {
                title: title.to_owned(),
                body: body.to_owned(),
                sha256: text_hash(title, body),
            };
            (*lang, text)
        })
        .collect();
    let json = serde_json::to_string(&texts).map_err(|e| Error::Internal(e.into()))?;
    let doc = id.unwrap_or_else(new_id);
    tx.put_agreement(a.actor(), doc, id.is_none(), body.name.as_str(), &json)
        .await?
        .ok_or(Error::NotFound)?;
    view(tx.agreement(doc, None).await?.ok_or(Error::NotFound)?)
}

/// Creates an agreement document at version 1.
#[utoipa::path(post, path = "/api/v1/agreements", tag = "visitor-types", request_body = AgreementInput,
    responses((status = 201, body = Agreement), (status = 422, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn create(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiJson(body): ApiJson<AgreementInput>,
) -> Result<(StatusCode, ApiJson<Agreement>), Error> {
    let mut tx = state.store.write(a.tenant).await?;
    let created = put(&mut tx, &a, None, &body).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(created)))
}

/// The agreement documents (not archived), at their current versions.
#[utoipa::path(get, path = "/api/v1/agreements", tag = "visitor-types",
    responses((status = 200, body = Vec<Agreement>)), security(("session" = ["admin"])))]
async fn list(
    State(state): State<AppState>,
    Admin(a): Admin,
) -> Result<ApiJson<Vec<Agreement>>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let rows = tx.agreements().await?;
    tx.commit().await?;
    Ok(ApiJson(
        rows.into_iter().map(view).collect::<Result<_, _>>()?,
    ))
}

#[utoipa::path(get, path = "/api/v1/agreements/{id}", tag = "visitor-types", params(("id" = Uuid, Path)),
    responses((status = 200, body = Agreement), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn get_one(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<Agreement>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let row = tx.agreement(id, None).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(ApiJson(view(row)?))
}

/// Publishes the next version of a document; visits already signed keep theirs.
#[utoipa::path(put, path = "/api/v1/agreements/{id}", tag = "visitor-types", params(("id" = Uuid, Path)),
    request_body = AgreementInput,
    responses((status = 200, body = Agreement), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn publish(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<AgreementInput>,
) -> Result<ApiJson<Agreement>, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    let published = put(&mut tx, &a, Some(id), &body).await?;
    tx.commit().await?;
    Ok(ApiJson(published))
}

/// Archives a document: visitor types stop asking for it; signed visits keep it.
#[utoipa::path(delete, path = "/api/v1/agreements/{id}", tag = "visitor-types", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn archive(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    if !tx.archive_agreement(a.actor(), id).await? {
        return Err(Error::NotFound);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The agreement `document_id` as signed with visit `id`: a PDF with the text of the version
/// shown, the visitor's name, the time and site, the SHA-256 of that text and the signature.
#[utoipa::path(get, path = "/api/v1/visits/{id}/agreements/{document_id}/pdf", tag = "visits",
    params(("id" = Uuid, Path), ("document_id" = Uuid, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ErrorEnvelope)),
    security(("session" = [])))]
async fn signed_pdf(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((id, document_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<Response, Error> {
    let mut tx = state.store.read(staff.tenant).await?;
    let visit = super::visit_records::visible(&mut tx, &staff, id).await?;
    let pdfs = crate::mail::agreement::pdfs(&mut tx, &visit, Some(document_id)).await?;
    tx.commit().await?;
    let (name, pdf) = pdfs.into_iter().next().ok_or(Error::NotFound)?;
    let disposition = format!("attachment; filename=\"{name}\"");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).map_err(|e| Error::Internal(e.into()))?,
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        pdf,
    )
        .into_response())
}
