//! Visitor types (admin): a check-in flow per kind of visitor, kept whole as one definition
//! (checked here: questions, choices, agreements, sites and hosts of this tenant), and the list a
//! kiosk shows its visitors, with the current text of every agreement to sign.

use std::collections::{BTreeMap, HashSet};

use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::visitor_types::{
        KioskAgreement, KioskQuestion, KioskVisitorType, Labels, MAX_AGREEMENTS, MAX_CHOICES,
        MAX_QUESTIONS, QuestionKind, VisitorType, VisitorTypeInput,
    },
    types::Language,
};

use super::{
    agreements::stored_texts,
    extract::{ApiJson, ApiPath},
};
use crate::{
    auth::{Admin, Kiosk},
    error::Error,
    ids::new_id,
    state::AppState,
    store::{TenantTx, TypeRow},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get_one, replace, delete))
        .routes(routes!(kiosk_types))
}

/// A stored definition.
pub(super) fn flow_of(row: &TypeRow) -> Result<VisitorTypeInput, Error> {
    serde_json::from_str(&row.flow).map_err(|e| Error::Internal(e.into()))
}

/// The agreements still offered and the sites that still exist: what a definition may name.
struct Current {
    agreements: HashSet<Uuid>,
    sites: HashSet<Uuid>,
}

impl Current {
    async fn read(tx: &mut TenantTx) -> Result<Current, Error> {
        Ok(Current {
            agreements: tx.agreements().await?.iter().map(|a| a.id).collect(),
            sites: tx.sites().await?.iter().map(|s| s.id).collect(),
        })
    }

    /// A stored definition without the agreements archived and the sites deleted since.
    fn view(&self, row: &TypeRow) -> Result<VisitorType, Error> {
        let mut flow = flow_of(row)?;
        flow.agreements.retain(|a| self.agreements.contains(a));
        flow.site_ids.retain(|s| self.sites.contains(s));
        Ok(VisitorType {
            id: row.id,
            flow,
            updated_at: row.updated_at,
        })
    }
}

/// `labels` in `lang`, else in any language.
pub(super) fn label_in(labels: &BTreeMap<Language, String>, lang: Language) -> String {
    labels
        .get(&lang)
        .or_else(|| labels.values().next())
        .cloned()
        .unwrap_or_default()
}

/// Labels as plain strings.
pub(super) fn plain(labels: &Labels) -> BTreeMap<Language, String> {
    labels
        .iter()
        .map(|(l, v)| (*l, v.as_str().to_owned()))
        .collect()
}

/// Checks a definition against its rules and this tenant's sites, hosts and agreements; gives
/// new questions their ids.
async fn checked(tx: &mut TenantTx, mut t: VisitorTypeInput) -> Result<VisitorTypeInput, Error> {
    let bad = |m: &str| Err(Error::InvalidInput(m.to_owned()));
    if t.names.is_empty() {
        return bad("names: give the name in at least one language");
    }
    if t.questions.len() > MAX_QUESTIONS {
        return bad("questions: at most 10");
    }
    let mut ids = HashSet::new();
    for (i, q) in t.questions.iter_mut().enumerate() {
        if q.labels.is_empty() {
            return Err(Error::InvalidInput(format!(
                "questions[{i}].labels: give the question in at least one language"
            )));
        }
        let choices = q.choices.len();
        let fits = match q.kind {
            QuestionKind::Choice => (2..=MAX_CHOICES).contains(&choices),
            _ => choices == 0,
        };
        if !fits || q.choices.iter().any(BTreeMap::is_empty) {
            return Err(Error::InvalidInput(format!(
                "questions[{i}].choices: a choice question has 2 to 10 labelled choices, others none"
            )));
        }
        let id = *q.id.get_or_insert_with(new_id);
        if !ids.insert(id) {
            return Err(Error::InvalidInput(format!(
                "questions[{i}].id: appears twice"
            )));
        }
    }
    if t.agreements.len() > MAX_AGREEMENTS
        || t.agreements.iter().collect::<HashSet<_>>().len() != t.agreements.len()
    {
        return bad("agreements: at most 5 different documents");
    }
    let current = Current::read(tx).await?;
    if !t.agreements.iter().all(|a| current.agreements.contains(a)) {
        return bad("agreements: no such agreement document");
    }
    if !t.site_ids.iter().all(|s| current.sites.contains(s)) {
        return bad("site_ids: no such site");
    }
    t.site_ids = t
        .site_ids
        .iter()
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if t.approval && !t.host_required {
        return bad("approval: the host approves only when the visitor must choose one");
    }
    match t.default_host_id {
        Some(host) if tx.host(host).await?.is_none() => {
            return bad("default_host_id: no such host");
        }
        None if !t.host_required => {
            return bad("default_host_id: a type whose host is optional needs a default host");
        }
        _ => {}
    }
    Ok(t)
}

/// Writes a definition (new when `id` is absent) and answers it.
async fn put(
    tx: &mut TenantTx,
    a: &crate::auth::Staff,
    id: Option<Uuid>,
    body: VisitorTypeInput,
) -> Result<VisitorType, Error> {
    let t = checked(tx, body).await?;
    let json = serde_json::to_string(&t).map_err(|e| Error::Internal(e.into()))?;
    let row_id = id.unwrap_or_else(new_id);
    let position = i32::from(t.position);
    let new = id.is_none();
    if !tx
        .put_visitor_type(a.actor(), row_id, new, &json, &t.site_ids, position)
        .await?
    {
        return Err(Error::NotFound);
    }
    let row = tx.visitor_type(row_id).await?.ok_or(Error::NotFound)?;
    Current::read(tx).await?.view(&row)
}

#[utoipa::path(post, path = "/api/v1/visitor-types", tag = "visitor-types", request_body = VisitorTypeInput,
    responses((status = 201, body = VisitorType), (status = 422, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn create(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiJson(body): ApiJson<VisitorTypeInput>,
) -> Result<(StatusCode, ApiJson<VisitorType>), Error> {
    let mut tx = state.store.write(a.tenant).await?;
    let created = put(&mut tx, &a, None, body).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(created)))
}

/// Every visitor type, in their order on the kiosk.
#[utoipa::path(get, path = "/api/v1/visitor-types", tag = "visitor-types",
    responses((status = 200, body = Vec<VisitorType>)), security(("session" = ["admin"])))]
async fn list(
    State(state): State<AppState>,
    Admin(a): Admin,
) -> Result<ApiJson<Vec<VisitorType>>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let rows = tx.visitor_types().await?;
    let current = Current::read(&mut tx).await?;
    tx.commit().await?;
    let types = rows.iter().map(|r| current.view(r));
    Ok(ApiJson(types.collect::<Result<_, _>>()?))
}

#[utoipa::path(get, path = "/api/v1/visitor-types/{id}", tag = "visitor-types", params(("id" = Uuid, Path)),
    responses((status = 200, body = VisitorType), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn get_one(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<VisitorType>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let row = tx.visitor_type(id).await?.ok_or(Error::NotFound)?;
    let current = Current::read(&mut tx).await?;
    tx.commit().await?;
    Ok(ApiJson(current.view(&row)?))
}

/// Replaces a visitor type's whole definition (send questions back with their ids).
#[utoipa::path(put, path = "/api/v1/visitor-types/{id}", tag = "visitor-types", params(("id" = Uuid, Path)),
    request_body = VisitorTypeInput,
    responses((status = 200, body = VisitorType), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn replace(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<VisitorTypeInput>,
) -> Result<ApiJson<VisitorType>, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    let replaced = put(&mut tx, &a, Some(id), body).await?;
    tx.commit().await?;
    Ok(ApiJson(replaced))
}

/// Deletes a visitor type; its visits keep what they recorded (and the type's name).
#[utoipa::path(delete, path = "/api/v1/visitor-types/{id}", tag = "visitor-types", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn delete(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    if !tx.delete_visitor_type(a.actor(), id).await? {
        return Err(Error::NotFound);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The visitor types this kiosk's site offers, in order, with the current text of each
/// agreement to sign; empty when the tenant has none there (the kiosk's built-in flow).
#[utoipa::path(get, path = "/api/v1/kiosk/visitor-types", tag = "kiosk",
    responses((status = 200, body = Vec<KioskVisitorType>)), security(("device" = [])))]
async fn kiosk_types(
    State(state): State<AppState>,
    k: Kiosk,
) -> Result<ApiJson<Vec<KioskVisitorType>>, Error> {
    let mut tx = state.store.read(k.tenant).await?;
    let rows = tx.visitor_types_of_site(k.kiosk.site_id).await?;
    let live = tx.agreements().await?;
    tx.commit().await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let t = flow_of(row)?;
        let mut agreements = Vec::with_capacity(t.agreements.len());
        for a in t
            .agreements
            .iter()
            .filter_map(|id| live.iter().find(|a| a.id == *id))
        {
            agreements.push(KioskAgreement {
                document_id: a.id,
                version: a.version.try_into().unwrap_or_default(),
                texts: stored_texts(&a.texts)?,
            });
        }
        let questions = t
            .questions
            .iter()
            .map(|q| KioskQuestion {
                id: q.id.unwrap_or_default(),
                kind: q.kind,
                required: q.required,
                labels: plain(&q.labels),
                choices: q.choices.iter().map(plain).collect(),
            })
            .collect();
        out.push(KioskVisitorType {
            id: row.id,
            names: plain(&t.names),
            icon: t.icon,
            fields: t.fields,
            questions,
            agreements,
            photo: t.photo,
            host_required: t.host_required,
            approval: t.approval,
        });
    }
    Ok(ApiJson(out))
}
