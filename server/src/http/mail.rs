//! Tenant admin: the SMTP server host notifications go through (the password is write-only), and
//! the log of notifications with their delivery state.

use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};
use vestibule_shared::{
    ErrorEnvelope,
    dto::{
        Page,
        mail::{DeliveryStatus, Notification, PutSmtp, Smtp, SmtpTest},
        visits::Paging,
    },
};

use super::{extract::ApiJson, extract::ApiQuery, visits::paging};
use crate::{
    auth::Admin,
    error::Error,
    state::AppState,
    store::{OutboxRow, SmtpAccount, SmtpConfig},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_smtp, put_smtp, delete_smtp))
        .routes(routes!(test_smtp))
        .routes(routes!(list_notifications))
}

fn view(a: SmtpAccount) -> Smtp {
    let c = a.config;
    Smtp {
        host: c.host,
        port: c.port,
        security: c.security,
        username: c.username,
        has_password: a.password.is_some(),
        from_address: c.from_address,
        from_name: c.from_name,
        ca_pem: c.ca_pem,
    }
}

#[utoipa::path(get, path = "/api/v1/integrations/smtp", tag = "mail",
    responses((status = 200, body = Smtp), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn get_smtp(State(state): State<AppState>, Admin(a): Admin) -> Result<ApiJson<Smtp>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let account = tx.smtp().await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(ApiJson(view(account)))
}

/// Sets the SMTP server. TLS is always on: `tls` (implicit) or `starttls` (required).
#[utoipa::path(put, path = "/api/v1/integrations/smtp", tag = "mail", request_body = PutSmtp,
    responses((status = 200, body = Smtp), (status = 422, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn put_smtp(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiJson(body): ApiJson<PutSmtp>,
) -> Result<ApiJson<Smtp>, Error> {
    if body.port == 0 {
        return Err(Error::InvalidInput("port: must be 1 to 65535".into()));
    }
    if let Some(pem) = &body.ca_pem
        && lettre::transport::smtp::client::Certificate::from_pem(pem.as_str().as_bytes()).is_err()
    {
        return Err(Error::InvalidInput(
            "ca_pem: must be PEM certificates".into(),
        ));
    }
    let config = SmtpConfig {
        host: body.host.as_str().to_owned(),
        port: body.port,
        security: body.security,
        username: body.username.map(Into::into),
        from_address: body.from_address.as_str().to_owned(),
        from_name: body.from_name.map(Into::into),
        ca_pem: body.ca_pem.map(Into::into),
    };
    let mut tx = state.store.write(a.tenant).await?;
    tx.put_smtp(&config, body.password.as_ref().map(|p| p.expose()))
        .await?;
    let account = tx.smtp().await?.ok_or(Error::NotFound)?;
    tx.audit(a.actor(), "smtp.update", format!("tenant:{}", a.tenant.0))
        .await?;
    tx.commit().await?;
    Ok(ApiJson(view(account)))
}

#[utoipa::path(delete, path = "/api/v1/integrations/smtp", tag = "mail",
    responses((status = 204), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn delete_smtp(State(state): State<AppState>, Admin(a): Admin) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    if !tx.delete_smtp().await? {
        return Err(Error::NotFound);
    }
    tx.audit(a.actor(), "smtp.delete", format!("tenant:{}", a.tenant.0))
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How long a test email may take.
const TEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// Sends a test email to the signed-in admin now, through the tenant's SMTP server, and answers
/// what really happened (`sent`, or the server's or TLS's reason). Audited.
#[utoipa::path(post, path = "/api/v1/integrations/smtp/test", tag = "mail",
    responses((status = 200, body = SmtpTest), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn test_smtp(
    State(state): State<AppState>,
    Admin(a): Admin,
) -> Result<ApiJson<SmtpTest>, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    let account = tx.smtp().await?.ok_or(Error::NotFound)?;
    let lang = tx.settings().await?.language;
    tx.audit(a.actor(), "smtp.test", format!("user:{}", a.user.id))
        .await?;
    tx.commit().await?;
    let to = a.user.email.clone();
    let sent = crate::mail::send_test(&account, &to, lang, TEST_TIMEOUT).await;
    Ok(ApiJson(SmtpTest {
        to,
        sent: sent.is_ok(),
        error: sent.err(),
    }))
}

fn notification(r: OutboxRow) -> Notification {
    let status = match (&r.sent_at, &r.failed_at, &r.message_id) {
        (Some(_), _, _) => DeliveryStatus::Sent,
        (None, Some(_), _) => DeliveryStatus::Failed,
        (None, None, Some(_)) => DeliveryStatus::Sending,
        (None, None, None) => DeliveryStatus::Pending,
    };
    Notification {
        id: r.id,
        status,
        attempts: r.attempts,
        next_attempt_at: r.next_attempt_at,
        sent_at: r.sent_at,
        failed_at: r.failed_at,
        last_error: r.last_error,
        message_id: r.message_id,
        created_at: r.created_at,
    }
}

/// Host notifications, newest first, with their delivery state.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "mail", params(Paging),
    responses((status = 200, body = Page<Notification>), (status = 422, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn list_notifications(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiQuery(p): ApiQuery<Paging>,
) -> Result<ApiJson<Page<Notification>>, Error> {
    let (limit, offset) = paging(p.limit, p.offset)?;
    let mut tx = state.store.read(a.tenant).await?;
    let (rows, total) = tx.outbox(limit, offset).await?;
    tx.commit().await?;
    let items = rows.into_iter().map(notification).collect();
    Ok(ApiJson(Page::new(items, total, limit, offset)))
}
