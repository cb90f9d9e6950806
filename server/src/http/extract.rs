//! Request extractors whose rejections speak the contract's error envelope: JSON bodies (strict:
//! unknown fields and wrong types are refused, with the field's path and the rule, never the
//! rejected value), query strings and path parameters. Each text an error message takes from the
//! request (a field's path, a rule naming an unknown key) is cut to 200 characters, so that a body
//! of huge keys cannot make a huge answer.

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
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|r| {
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Error::PayloadTooLarge
                } else {
                    Error::InvalidJson("the body could not be read".into())
                }
            })
    }
}

/// The most characters of one part of an error message (a field's path, or a rule) that come from
/// the request.
const MAX_MESSAGE_PART: usize = 200;

/// `text` cut to at most `max` characters, on a character boundary, ending with `…` when cut.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some(_) => {
            let keep = text
                .char_indices()
                .nth(max.saturating_sub(1))
                .map_or(0, |(i, _)| i);
            format!("{}…", &text[..keep])
        }
    }
}

/// Deserializes JSON, turning failures into envelope errors that name the field and the rule.
/// Structs read from JSON objects only, and nothing may follow the value.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let syntax = |e: &serde_json::Error| {
        Error::InvalidJson(format!(
            "the body is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    };
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(ObjectsOnly(&mut *de)).map_err(|e| {
        let path = cut(&e.path().to_string(), MAX_MESSAGE_PART);
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => Error::InvalidInput(format!(
                "{path}: {}",
                cut(&rule_of(&inner), MAX_MESSAGE_PART)
            )),
            _ => syntax(&inner),
        }
    })?;
    de.end().map_err(|e| syntax(&e))?;
    Ok(value)
}

/// [`parse_json`] for a body already read as a JSON value (one whose shape depends on its keys).
pub fn parse_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(ObjectsOnly(value)).map_err(|e| {
        let path = cut(&e.path().to_string(), MAX_MESSAGE_PART);
        let rule = cut(&rule_of(e.inner()), MAX_MESSAGE_PART);
        Error::InvalidInput(format!("{path}: {rule}"))
    })
}

/// The rule a serde error states, without the value it rejected (which may be personal data).
fn rule_of(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = msg
        .rsplit_once(" at line ")
        .map_or(msg.as_str(), |(m, _)| m);
    let expected = msg.rsplit_once(", expected ").map(|(_, x)| x);
    if msg.starts_with("invalid type") {
        format!(
            "wrong type, expected {}",
            expected.unwrap_or("another type")
        )
    } else if msg.starts_with("invalid value")
        || msg.starts_with("invalid length")
        || msg.starts_with("unknown variant")
    {
        format!(
            "invalid value, expected {}",
            expected.unwrap_or("another value")
        )
    } else {
        msg.to_owned()
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
        Error::InvalidInput(format!("query: {}", cut(detail, MAX_MESSAGE_PART)))
    }
}

impl From<PathRejection> for Error {
    fn from(_: PathRejection) -> Self {
        Error::InvalidInput("path: every id in the URL must be a UUID".into())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use axum::{http::StatusCode, response::IntoResponse};
    use http_body_util::BodyExt;
    use serde::Deserialize;

    use super::*;

    /// The size of every body below: the JSON routes' limit.
    const BODY: usize = 64 * 1024;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Site {
        #[allow(dead_code)]
        name: String,
    }

    #[derive(Debug, Deserialize)]
    struct Node {
        #[serde(default)]
        #[allow(dead_code)]
        children: BTreeMap<String, Node>,
        #[serde(default)]
        #[allow(dead_code)]
        size: u32,
    }

    /// `json` padded with trailing spaces (which JSON allows) to exactly [`BODY`] bytes.
    fn padded(mut json: String) -> Vec<u8> {
        assert!(json.len() <= BODY, "{} bytes", json.len());
        json.extend(std::iter::repeat_n(' ', BODY - json.len()));
        json.into_bytes()
    }

    /// The refusal's message, once its status and the envelope's code are checked.
    async fn message(e: Error, status: StatusCode, code: &str) -> String {
        let response = e.into_response();
        assert_eq!(response.status(), status);
        let body = response
            .into_body()
            .collect()
            .await
            .expect("the body")
            .to_bytes();
        let envelope: serde_json::Value = serde_json::from_slice(&body).expect("a JSON envelope");
        assert_eq!(envelope["error"]["code"], code, "{envelope}");
        envelope["error"]["message"]
            .as_str()
            .expect("a message")
            .to_owned()
    }

    /// A refusal of `body` as invalid input whose field path is cut, and a bounded message.
    async fn assert_cut_path<T: DeserializeOwned + std::fmt::Debug>(body: &[u8]) -> String {
        assert_eq!(body.len(), BODY);
        let e = parse_json::<T>(body).expect_err("refused");
        let message = message(e, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
        let (path, rule) = message.split_once(": ").expect("path: rule");
        assert!(
            path.chars().count() <= MAX_MESSAGE_PART && path.ends_with('…'),
            "the path is cut: {} chars",
            path.chars().count()
        );
        assert!(
            rule.chars().count() <= MAX_MESSAGE_PART,
            "the rule is bounded: {} chars",
            rule.chars().count()
        );
        assert!(
            message.len() <= 4 * (2 * MAX_MESSAGE_PART + 2),
            "{} bytes",
            message.len()
        );
        message
    }

    #[test]
    fn cut_keeps_short_text_and_cuts_long_text_on_a_char_boundary() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "ab…");
        assert_eq!(cut("ééééé", 4), "ééé…");
        assert_eq!(cut("", 0), "");
    }

    #[tokio::test]
    async fn an_unknown_huge_key_gets_a_bounded_message() {
        let key = "k".repeat(BODY - 40);
        let message =
            assert_cut_path::<Site>(&padded(format!(r#"{{"name": "Annex", "{key}": 1}}"#))).await;
        assert!(message.contains("unknown field"), "{message}");
        // Multi-byte characters are cut between characters, not inside one.
        let key = "é".repeat((BODY - 40) / 2);
        assert_cut_path::<Site>(&padded(format!(r#"{{"name": "Annex", "{key}": 1}}"#))).await;
    }

    #[tokio::test]
    async fn a_deeply_nested_path_of_huge_keys_gets_a_bounded_message() {
        const DEPTH: usize = 50;
        let key = "k".repeat((BODY - DEPTH * 20 - 20) / DEPTH);
        let mut json = String::new();
        for _ in 0..DEPTH {
            json.push_str(&format!(r#"{{"children": {{"{key}": "#));
        }
        json.push_str(r#"{"size": "big"}"#);
        json.push_str(&"}}".repeat(DEPTH));
        let message = assert_cut_path::<Node>(&padded(json)).await;
        assert!(
            message.starts_with(&format!("children.{}", &key[..20])),
            "{message}"
        );
        assert!(message.ends_with("wrong type, expected u32"), "{message}");
    }

    #[tokio::test]
    async fn a_huge_malformed_body_is_invalid_json_with_a_short_message() {
        let name = "n".repeat(BODY - 40);
        let body = padded(format!(r#"{{"name": "{name}"#)); // a string that never ends
        let e = parse_json::<Site>(&body).expect_err("refused");
        let message = message(e, StatusCode::BAD_REQUEST, "invalid_json").await;
        assert!(message.len() <= MAX_MESSAGE_PART, "{message}");
    }
}
