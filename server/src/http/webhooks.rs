//! Tenant admin: webhooks (`/api/v1/webhooks`). Making a `standard` one answers its signing
//! secret once; rotating it answers the new one and keeps the old signing for an overlap. The
//! delivery log, a test event and a redelivery are here too; the sending is `crate::webhooks`.

use axum::{extract::State, http::StatusCode};
use chrono::Duration;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::{
        Page,
        visits::Paging,
        webhooks::{
            CreateWebhook, RotateWebhookSecret, Webhook, WebhookCreated, WebhookDelivery,
            WebhookDeliveryStatus, WebhookEvent, WebhookKind, WebhookSecret,
        },
    },
};

use super::{
    extract::{ApiJson, ApiPath, ApiQuery},
    visits::paging,
};
use crate::{
    auth::Admin,
    error::Error,
    state::AppState,
    store::{DeliveryRow, NewWebhook, WebhookRow},
    webhooks::sign,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(delete))
        .routes(routes!(rotate))
        .routes(routes!(test))
        .routes(routes!(deliveries))
        .routes(routes!(redeliver))
}

/// The URL as listed: whole for `standard`; for Slack and Teams, whose URL is a credential,
/// its origin only.
fn shown_url(kind: WebhookKind, url: &str) -> String {
    if kind == WebhookKind::Standard {
        return url.to_owned();
    }
    let end = url[8.min(url.len())..]
        .find(['/', '?'])
        .map_or(url.len(), |i| i + 8);
    format!("{}/…", &url[..end])
}

fn view(r: &WebhookRow) -> Webhook {
    Webhook {
        id: r.id,
        kind: r.kind,
        url: shown_url(r.kind, &r.url),
        events: r.events.clone(),
        include_visitor: r.include_visitor,
        has_ca: r.ca_pem.is_some(),
        created_at: r.created_at,
        previous_secret_until: r.prev_secret_until,
    }
}

fn delivery(r: DeliveryRow) -> WebhookDelivery {
    let status = if r.delivered_at.is_some() {
        WebhookDeliveryStatus::Delivered
    } else if r.failed_at.is_some() {
        WebhookDeliveryStatus::Failed
    } else {
        WebhookDeliveryStatus::Pending
    };
    WebhookDelivery {
        id: r.id,
        event: WebhookEvent::parse(&r.event).unwrap_or(WebhookEvent::Test),
        status,
        attempts: r.attempts,
        last_status_code: r.last_status_code,
        last_duration_ms: r.last_duration_ms,
        last_error: r.last_error,
        next_attempt_at: (status == WebhookDeliveryStatus::Pending).then_some(r.next_attempt_at),
        delivered_at: r.delivered_at,
        created_at: r.created_at,
    }
}

/// Makes a webhook; for `standard`, the answer's `secret` is the only time it is shown.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "integrations", request_body = CreateWebhook,
    responses((status = 201, body = WebhookCreated), (status = 422, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn create(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiJson(body): ApiJson<CreateWebhook>,
) -> Result<(StatusCode, ApiJson<WebhookCreated>), Error> {
    if body.events.is_empty() || body.events.contains(&WebhookEvent::Test) {
        return Err(Error::InvalidInput(
            "events: give at least one, of visit.checked_in, visit.checked_out, visit.held, invite.created, evacuation.started".into(),
        ));
    }
    if let Some(pem) = &body.ca_pem {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        if CertificateDer::pem_slice_iter(pem.as_str().as_bytes()).any(|c| c.is_err()) {
            return Err(Error::InvalidInput(
                "ca_pem: must be PEM certificates".into(),
            ));
        }
    }
    let secret = (body.kind == WebhookKind::Standard).then(sign::new_secret);
    let mut tx = state.store.write(a.tenant).await?;
    let row = tx
        .insert_webhook(&NewWebhook {
            kind: body.kind,
            url: body.url.as_str(),
            events: &body.events,
            include_visitor: body.include_visitor,
            ca_pem: body.ca_pem.as_ref().map(|p| p.as_str()),
            secret: secret.as_ref().map(|s| s.as_str()),
        })
        .await?;
    tx.audit(a.actor(), "webhook.create", format!("webhook:{}", row.id))
        .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(WebhookCreated {
            webhook: view(&row),
            secret: secret.map(|s| s.to_string()),
        }),
    ))
}

/// The tenant's webhooks, oldest first (never a secret).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "integrations",
    responses((status = 200, body = Vec<Webhook>)), security(("session" = ["admin"])))]
async fn list(
    State(state): State<AppState>,
    Admin(a): Admin,
) -> Result<ApiJson<Vec<Webhook>>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let rows = tx.webhooks().await?;
    tx.commit().await?;
    Ok(ApiJson(rows.iter().map(view).collect()))
}

/// Deletes a webhook and its delivery log; nothing more is sent to it.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "integrations", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn delete(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    if !tx.delete_webhook(id).await? {
        return Err(Error::NotFound);
    }
    tx.audit(a.actor(), "webhook.delete", format!("webhook:{id}"))
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new signing secret, shown once; the old one signs too until `previous_secret_until`.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate", tag = "integrations", params(("id" = Uuid, Path)),
    request_body = RotateWebhookSecret,
    responses((status = 200, body = WebhookSecret), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn rotate(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<RotateWebhookSecret>,
) -> Result<ApiJson<WebhookSecret>, Error> {
    let hours = body.overlap_hours.unwrap_or(24);
    if hours > 168 {
        return Err(Error::InvalidInput(
            "overlap_hours: must be 0 to 168".into(),
        ));
    }
    let secret = sign::new_secret();
    let until = state.clock.now() + Duration::hours(hours.into());
    let mut tx = state.store.write(a.tenant).await?;
    match tx.webhook(id).await? {
        None => return Err(Error::NotFound),
        Some(w) if w.kind != WebhookKind::Standard => {
            return Err(Error::InvalidInput(
                "only standard webhooks are signed".into(),
            ));
        }
        Some(_) => {}
    }
    tx.rotate_webhook_secret(id, &secret, until).await?;
    tx.audit(a.actor(), "webhook.rotate", format!("webhook:{id}"))
        .await?;
    tx.commit().await?;
    Ok(ApiJson(WebhookSecret {
        secret: secret.to_string(),
        previous_secret_until: until,
    }))
}

/// Queues a `webhook.test` event to this webhook.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "integrations", params(("id" = Uuid, Path)),
    responses((status = 202, body = WebhookDelivery), (status = 404, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn test(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<(StatusCode, ApiJson<WebhookDelivery>), Error> {
    let mut tx = state.store.write_beside(a.tenant).await?;
    if tx.webhook(id).await?.is_none() {
        return Err(Error::NotFound);
    }
    let row = tx.queue_test_delivery(id).await?;
    tx.commit().await?;
    Ok((StatusCode::ACCEPTED, ApiJson(delivery(row))))
}

/// The webhook's deliveries, newest first, with their last attempt.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "integrations",
    params(("id" = Uuid, Path), Paging),
    responses((status = 200, body = Page<WebhookDelivery>), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn deliveries(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(p): ApiQuery<Paging>,
) -> Result<ApiJson<Page<WebhookDelivery>>, Error> {
    let (limit, offset) = paging(p.limit, p.offset)?;
    let mut tx = state.store.read(a.tenant).await?;
    if tx.webhook(id).await?.is_none() {
        return Err(Error::NotFound);
    }
    let (rows, total) = tx.webhook_deliveries(id, limit, offset).await?;
    tx.commit().await?;
    let items = rows.into_iter().map(delivery).collect();
    Ok(ApiJson(Page::new(items, total, limit, offset)))
}

/// Sends a delivery again, now, with the same `webhook-id`.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver", tag = "integrations",
    params(("id" = Uuid, Path), ("delivery" = Uuid, Path)),
    responses((status = 202, body = WebhookDelivery), (status = 404, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn redeliver(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath((id, d)): ApiPath<(Uuid, Uuid)>,
) -> Result<(StatusCode, ApiJson<WebhookDelivery>), Error> {
    let mut tx = state.store.write_beside(a.tenant).await?;
    let row = tx.redeliver(id, d).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok((StatusCode::ACCEPTED, ApiJson(delivery(row))))
}
