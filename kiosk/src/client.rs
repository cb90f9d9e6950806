//! The kiosk's API client: reqwest over the pinned rustls configuration, several server URLs
//! tried in order (a request that fails to connect goes, unchanged and with the same
//! `Idempotency-Key`, to the next one), and the server's error envelope mapped to [`Error`].
//! Request and response bodies that carry personal data are zeroized once used.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::{Serialize, de::DeserializeOwned};
use vestibule_shared::{ErrorCode, ErrorEnvelope};
use zeroize::Zeroizing;

use crate::{
    config::Config,
    error::Error,
    pinning::{self, Pin},
};

/// Who a request is sent as.
#[derive(Clone, Copy)]
pub enum As<'a> {
    Nobody,
    Device(&'a str),
    /// The device, with a receptionist's override token.
    Override(&'a str, &'a str),
}

pub struct Client {
    http: reqwest::Client,
    bases: Vec<String>,
}

impl Client {
    pub fn new(config: &Config) -> Result<Client, Error> {
        if config.server_urls.is_empty() {
            return Err(Error::field("urls", "give at least one server URL"));
        }
        let mut bases = Vec::new();
        for url in &config.server_urls {
            let parsed = reqwest::Url::parse(url.trim())
                .map_err(|_| Error::field("urls", "a server URL is not a URL"))?;
            if parsed.scheme() != "https" {
                return Err(Error::field("urls", "server URLs must start with https://"));
            }
            bases.push(parsed.as_str().trim_end_matches('/').to_owned());
        }
        let pins = config
            .pins
            .iter()
            .map(|p| Pin::parse(p))
            .collect::<Result<Vec<_>, _>>()?;
        let tls = pinning::client_config(pins, config.ca_pem()?.as_deref())?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .https_only(true)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Internal(format!("HTTP client: {e}")))?;
        Ok(Client { http, bases })
    }

    /// Sends one request, trying each server URL in turn while they cannot be reached; parses a
    /// success as `T`.
    pub async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        who: As<'_>,
        body: Option<&impl Serialize>,
        idempotency_key: Option<&str>,
    ) -> Result<T, Error> {
        let (status, bytes) = self
            .exchange(method, path, who, body, idempotency_key)
            .await?;
        parse(status, &bytes, who)
    }

    /// GETs `path` and answers a success's body as it is (an image), held only in memory.
    pub async fn fetch(&self, path: &str, who: As<'_>) -> Result<Zeroizing<Vec<u8>>, Error> {
        let (status, bytes) = self
            .exchange(Method::GET, path, who, None::<&()>, None)
            .await?;
        if status.is_success() {
            return Ok(bytes);
        }
        parse::<()>(status, &bytes, who)?;
        Err(Error::Internal(format!(
            "an unexpected answer from the server ({status})"
        )))
    }

    /// The request on the first server URL that answers: its status and body.
    async fn exchange(
        &self,
        method: Method,
        path: &str,
        who: As<'_>,
        body: Option<&impl Serialize>,
        idempotency_key: Option<&str>,
    ) -> Result<(StatusCode, Zeroizing<Vec<u8>>), Error> {
        let body = body
            .map(|b| serde_json::to_vec(b).map(Zeroizing::new))
            .transpose()
            .map_err(|e| Error::Internal(e.to_string()))?;
        let mut last = Error::Unreachable;
        for base in &self.bases {
            let mut req = self.http.request(method.clone(), format!("{base}{path}"));
            req = match who {
                As::Nobody => req,
                As::Device(token) => req.bearer_auth(token),
                As::Override(token, over) => {
                    req.bearer_auth(token).header("X-Override-Token", over)
                }
            };
            if let Some(key) = idempotency_key {
                req = req.header("Idempotency-Key", key);
            }
            if let Some(b) = &body {
                req = req
                    .header("Content-Type", "application/json")
                    .body(b.to_vec());
            }
            match req.send().await {
                Ok(resp) if resp.status() == StatusCode::SERVICE_UNAVAILABLE => {
                    last = Error::Unreachable
                }
                Ok(resp) => {
                    let status = resp.status();
                    let bytes = Zeroizing::new(
                        resp.bytes().await.map_err(|_| Error::Unreachable)?.to_vec(),
                    );
                    return Ok((status, bytes));
                }
                Err(e) if identity_failure(&e) => last = Error::PinMismatch,
                Err(_) => {}
            }
        }
        Err(last)
    }
}

fn parse<T: DeserializeOwned>(status: StatusCode, body: &[u8], who: As<'_>) -> Result<T, Error> {
    if status.is_success() {
        let body: &[u8] = if body.is_empty() { b"null" } else { body };
        return serde_json::from_slice(body).map_err(|_| {
            Error::Internal(format!("an unexpected answer from the server ({status})"))
        });
    }
    let envelope: ErrorEnvelope = serde_json::from_slice(body)
        .map_err(|_| Error::Internal(format!("an unexpected error from the server ({status})")))?;
    let e = envelope.error;
    Err(match e.code {
        ErrorCode::Unauthorized if matches!(who, As::Override(..)) => Error::OverrideExpired,
        ErrorCode::Unauthorized => Error::Revoked,
        ErrorCode::InvalidInput | ErrorCode::InvalidJson => {
            // "visitor.email: must be ..." → the field `email`.
            let field = e
                .message
                .split(':')
                .next()
                .unwrap_or_default()
                .rsplit('.')
                .next()
                .unwrap_or_default()
                .to_owned();
            Error::field(&field, e.message)
        }
        ErrorCode::InvalidCredentials => Error::field("pin", e.message),
        ErrorCode::InvalidEnrollmentCode => Error::field("code", e.message),
        ErrorCode::NotFound => Error::NotFound,
        ErrorCode::Locked | ErrorCode::RateLimited => Error::Locked,
        ErrorCode::Timeout => Error::Unreachable,
        ErrorCode::Conflict | ErrorCode::IdempotencyMismatch => Error::Conflict(e.message),
        ErrorCode::Unavailable => Error::Unreachable,
        _ => Error::Internal(e.message),
    })
}

/// Whether a request failed because the server's certificate did not verify (WebPKI or pin).
fn identity_failure(e: &reqwest::Error) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err
            .downcast_ref::<rustls::Error>()
            .is_some_and(|r| matches!(r, rustls::Error::InvalidCertificate(_)))
        {
            return true;
        }
        // io::Error::source skips the error it wraps; look inside it too.
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            && inner
                .downcast_ref::<rustls::Error>()
                .is_some_and(|r| matches!(r, rustls::Error::InvalidCertificate(_)))
        {
            return true;
        }
        // hyper-util wraps the TLS error in its own connect error; its message names it.
        if err.to_string().contains("invalid peer certificate") {
            return true;
        }
        cur = err.source();
    }
    false
}
