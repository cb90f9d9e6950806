//! Request extractors whose rejections speak the contract's error envelope: JSON bodies (strict:
//! unknown fields and wrong types are refused, with the field's path and the rule, never the
//! rejected value), query strings and path parameters.

use axum::{
    Json,
    body::Bytes,
    extract::{
        FromRequest, FromRequestParts, Request,
        rejection::{PathRejection, QueryRejection},
    },
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Serialize, de::DeserializeOwned};

use super::json_objects::ObjectsOnly;
use crate::error::Error;

/// A JSON body (`Content-Type: application/json`), deserialized strictly.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(Error::UnsupportedMediaType);
        }
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A request body of any type, within the route's size limit.
#[derive(Debug, Clone)]
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        Bytes::from_request(req, state).await.map(RawBody).map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::PayloadTooLarge
            } else {
                Error::InvalidJson("the body could not be read".into())
            }
        })
    }
}

/// Deserializes JSON, turning failures into envelope errors that name the field and the rule.
/// Structs read from JSON objects only, and nothing may follow the value.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let syntax =
        |e: &serde_json::Error| Error::InvalidJson(format!("the body is not valid JSON (line {}, column {})", e.line(), e.column()));
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(ObjectsOnly(&mut *de)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => Error::InvalidInput(format!("{path}: {}", rule_of(&inner))),
            _ => syntax(&inner),
        }
    })?;
    de.end().map_err(|e| syntax(&e))?;
    Ok(value)
}

/// The rule a serde error states, without the value it rejected (which may be personal data).
fn rule_of(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = msg.rsplit_once(" at line ").map_or(msg.as_str(), |(m, _)| m);
    let expected = msg.rsplit_once(", expected ").map(|(_, x)| x);
    if msg.starts_with("invalid type") {
        format!("wrong type, expected {}", expected.unwrap_or("another type"))
    } else if msg.starts_with("invalid value") || msg.starts_with("invalid length") || msg.starts_with("unknown variant") {
        format!("invalid value, expected {}", expected.unwrap_or("another value"))
    } else {
        msg.chars().take(200).collect()
    }
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

/// Query-string parameters, with unknown ones refused.
#[derive(Debug, Clone, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Error))]
pub struct ApiQuery<T>(pub T);

/// Path parameters.
#[derive(Debug, Clone, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub struct ApiPath<T>(pub T);

impl From<QueryRejection> for Error {
    fn from(r: QueryRejection) -> Self {
        let text = r.body_text();
        let detail = text.split_once(": ").map_or(text.as_str(), |(_, d)| d);
        Error::InvalidInput(format!("query: {}", detail.chars().take(200).collect::<String>()))
    }
}

impl From<PathRejection> for Error {
    fn from(_: PathRejection) -> Self {
        Error::InvalidInput("path: every id in the URL must be a UUID".into())
    }
}
