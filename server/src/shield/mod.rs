//! The shield in front of the API: request IDs, security headers, caps on the request's headers
//! (their total size and their number: 431), the body-size limits and a request timeout on every
//! route, and rate limits per client IP, per device token and (on sign-in
//! routes) per client IP for credential attempts; plus, at the connection level
//! ([`conn::ConnectionCap`] and the timeouts set in `cli::serve`), a cap on connections,
//! bounded TLS-handshake and header-read times, so slow clients are dropped, and a lingering
//! close, so an early refusal (413) reaches a client that is still sending.

mod client;
pub mod conn;
mod limit;

use std::{
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    sync::Arc,
    time::Duration,
};

use axum::{
    body::Body,
    extract::{ConnectInfo, Request, State},
    http::{HeaderName, HeaderValue, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use uuid::Uuid;

use crate::error::{Error, REQUEST_ID, RequestId};
use limit::Limiter;

/// The most bytes of request headers (names, values and their separators) a request may carry.
pub const HEADER_BYTES_LIMIT: usize = 16 * 1024;
/// The most request headers (lines) a request may carry.
pub const HEADER_COUNT_LIMIT: usize = 100;
/// hyper's own limits, well above the shield's so that the shield answers (in the envelope) what is
/// moderately over; hyper refuses what is beyond them with a bare 431 and closes the connection.
/// The buffer also bounds what a connection holds of an unfinished request head.
pub const HYPER_HEAD_BUFFER: usize = 256 * 1024;
/// See [`HYPER_HEAD_BUFFER`].
pub const HYPER_MAX_HEADERS: usize = 256;

/// The largest JSON body any route accepts.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;
/// The largest directory CSV import.
pub const CSV_BODY_LIMIT: usize = 2 * 1024 * 1024;
/// The body limit of the logo upload (256 KiB of image, in base64 inside JSON).
pub const LOGO_BODY_LIMIT: usize = 512 * 1024;
/// The largest check-in: a visitor type's photo and signature (each at most 1 MiB, in base64)
/// and the rest.
pub const CHECK_IN_BODY_LIMIT: usize = 3 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct ShieldSettings {
    /// Requests a second per client IP (bursts of 3× that).
    pub per_ip: NonZeroU32,
    /// Requests a second per device (bearer) token (bursts of 3× that).
    pub per_token: NonZeroU32,
    /// Sign-in attempts (login, kiosk PIN, enrollment) a minute per client IP.
    pub sign_in_per_minute: NonZeroU32,
    /// Peers allowed to name the client in `X-Forwarded-For`.
    pub trusted_proxies: Vec<IpAddr>,
    /// The largest request body of any route.
    pub body_limit: usize,
    /// How long one request may take.
    pub request_timeout: Duration,
}

impl Default for ShieldSettings {
    fn default() -> Self {
        let nz = |n| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        Self {
            per_ip: nz(200),
            per_token: nz(20),
            sign_in_per_minute: nz(30),
            trusted_proxies: Vec::new(),
            body_limit: CHECK_IN_BODY_LIMIT,
            request_timeout: Duration::from_secs(30),
        }
    }
}

pub struct Shield {
    settings: ShieldSettings,
    per_ip: Limiter<IpAddr>,
    per_token: Limiter<[u8; 16]>,
    sign_in: Limiter<IpAddr>,
}

impl Shield {
    pub fn new(settings: ShieldSettings) -> Arc<Shield> {
        let burst = |n: NonZeroU32| n.saturating_mul(NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN));
        Arc::new(Shield {
            per_ip: Limiter::new(settings.per_ip, burst(settings.per_ip)),
            per_token: Limiter::new(settings.per_token, burst(settings.per_token)),
            sign_in: Limiter::per_minute(settings.sign_in_per_minute),
            settings,
        })
    }

    /// Forgets idle limiter keys every few seconds, for as long as the shield lives.
    pub fn spawn_sweeper(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(10)).await;
                let Some(s) = weak.upgrade() else { return };
                s.per_ip.sweep();
                s.per_token.sweep();
                s.sign_in.sweep();
            }
        });
    }

    fn limit(&self, ip: IpAddr, req: &Request) -> Result<(), Error> {
        let path = req.uri().path();
        let refused = |limit: &'static str| {
            move |wait: Duration| {
                crate::metrics::rate_limited(limit);
                Error::RateLimited {
                    retry_after: wait.as_secs().max(1),
                }
            }
        };
        self.per_ip.check(&ip).map_err(refused("ip"))?;
        if is_sign_in(path) {
            self.sign_in.check(&ip).map_err(refused("sign_in"))?;
        }
        // A kiosk's requests, and another system's with an API key, count per credential.
        if (path.starts_with("/api/v1/kiosk/") || client::is_api_key(req.headers()))
            && let Some(key) = client::bearer_key(req.headers())
        {
            self.per_token.check(&key).map_err(refused("device"))?;
        }
        Ok(())
    }
}

/// Routes that check a password, PIN, enrollment code or SAML response.
fn is_sign_in(path: &str) -> bool {
    matches!(
        path,
        "/api/v1/auth/login" | "/api/v1/kiosk/override" | "/api/v1/kiosk/enroll"
    ) || (path.starts_with("/api/v1/saml/") && path.ends_with("/acs"))
}

/// The middleware: every request passes here first.
pub async fn guard(State(shield): State<Arc<Shield>>, mut req: Request, next: Next) -> Response {
    // Served without connect info (in-process tests), the peer is this machine.
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
    let id = Uuid::now_v7().to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    let sends_body = req.headers().contains_key(header::TRANSFER_ENCODING)
        || req
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
    let mut response = REQUEST_ID
        .scope(id.clone(), async {
            if let Err(e) = headers_within_limits(req.headers()) {
                return e.into_response();
            }
            let ip = client::client_ip(peer, req.headers(), &shield.settings.trusted_proxies);
            if let Err(e) = shield.limit(ip, &req) {
                return e.into_response();
            }
            let limit = shield.settings.body_limit;
            let declared = req
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            if declared.is_some_and(|n| n > limit as u64) {
                return Error::PayloadTooLarge.into_response();
            }
            let req = req.map(|body| Body::new(http_body_util::Limited::new(body, limit)));
            match tokio::time::timeout(shield.settings.request_timeout, next.run(req)).await {
                Ok(response) => response,
                Err(_) => Error::Timeout.into_response(),
            }
        })
        .await;
    secure_headers(response.headers_mut(), &id);
    // Refused before its body was read, the connection cannot carry another request: say so, so
    // that the client does not send its next request on a connection about to close.
    if sends_body
        && matches!(
            response.status().as_u16(),
            401 | 403 | 404 | 405 | 413 | 415 | 429 | 431
        )
    {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Refuses a request whose headers are too many or too large together (each counted as sent:
/// `name: value` and its line end).
fn headers_within_limits(headers: &axum::http::HeaderMap) -> Result<(), Error> {
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if headers.len() > HEADER_COUNT_LIMIT || bytes > HEADER_BYTES_LIMIT {
        return Err(Error::HeadersTooLarge);
    }
    Ok(())
}

/// What every response carries: no caching (answers hold personal data), no sniffing, no
/// framing, no referrer, a CSP that allows nothing, HSTS, and the request ID. The console's
/// files set their own CSP and caching (`http/console.rs`), which are kept.
fn secure_headers(h: &mut axum::http::HeaderMap, id: &str) {
    const OWN: [HeaderName; 2] = [header::CONTENT_SECURITY_POLICY, header::CACHE_CONTROL];
    const HEADERS: [(HeaderName, &str); 7] = [
        (
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
        (header::CACHE_CONTROL, "no-store"),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in HEADERS {
        if !(OWN.contains(&name) && h.contains_key(&name)) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    h.remove(header::SERVER);
    if let Ok(v) = HeaderValue::from_str(id) {
        h.insert(HeaderName::from_static("x-request-id"), v);
    }
}
