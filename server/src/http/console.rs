//! The admin console (`ui/console`), built by `build.rs` and embedded in the binary: served at
//! `/` from the API's own origin. Hashed files under `/assets/` are cached for a year;
//! `index.html` is never cached and answers every client route (a path without a file
//! extension), so a reload of `/visits` works. The console's CSP allows only this origin's own
//! scripts, styles and connections: no inline code, no eval, no framing, no `<base>`, forms only
//! to itself.

use axum::{
    body::Body,
    http::{HeaderValue, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use rust_embed::RustEmbed;

use crate::error::Error;

#[derive(RustEmbed)]
#[folder = "../ui/console/dist"]
struct Built;

/// The console's Content-Security-Policy.
pub const CONSOLE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
    frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// Answers what the API does not: a console file, `index.html` for a client route, or the
/// envelope's 404 (and 405 for anything but GET and HEAD).
pub async fn fallback(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    if path.starts_with("/api/") || path == "/api" {
        return Error::NotFound.into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return Error::MethodNotAllowed.into_response();
    }
    let name = path.trim_start_matches('/');
    let client_route = !name.rsplit('/').next().unwrap_or_default().contains('.');
    let (name, cache) = match Built::get(name) {
        Some(_) if name.starts_with("assets/") => (name, IMMUTABLE),
        Some(_) if !name.is_empty() => (name, "no-cache"),
        _ if client_route => ("index.html", "no-store"),
        _ => return Error::NotFound.into_response(),
    };
    let Some(file) = Built::get(name) else {
        return Error::NotFound.into_response();
    };
    let mut answer = Response::new(Body::from(file.data.into_owned()));
    *answer.status_mut() = StatusCode::OK;
    let h = answer.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(name)),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONSOLE_CSP),
    );
    answer
}
