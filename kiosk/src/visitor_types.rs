//! Visitor types at the kiosk: the types its site offers (fetched at start and when a visitor
//! starts, kept in memory only), what a check-in of a type carries besides the visitor's details
//! (answers, the agreements shown, the signature, the photo), parsed into the shared types before
//! it is sent, and where a visit waiting for its host's approval stands.

use reqwest::Method;
use serde::Serialize;
use tauri::State;
use uuid::Uuid;
use vestibule_shared::{
    dto::visitor_types::{KioskVisitState, KioskVisitorType, MAX_CHOICES, ShownAgreement},
    types::{ImageData, ShortAnswer},
};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{
    commands::{device_send, parse_id},
    contract::{AnswerInput, AnswerInputValue, CheckInArgs, VisitArgs},
    error::Error,
    state::Kiosk,
};

/// The start of the base64 of every PNG file (its 8-byte signature).
const PNG_BASE64: &str = "iVBORw0KGgo";
/// The start of the base64 of every JPEG file (its start-of-image marker).
const JPEG_BASE64: &str = "/9j/";

/// Fetches the visitor types of the kiosk's site and keeps them in memory. A server without
/// visitor types (404) offers none.
pub(crate) async fn refresh(kiosk: &Kiosk) -> Result<Vec<KioskVisitorType>, Error> {
    let path = "/api/v1/kiosk/visitor-types";
    let types = match device_send(kiosk, Method::GET, path, None::<&()>, None).await {
        Err(Error::NotFound) => Vec::new(),
        fetched => fetched?,
    };
    kiosk.lock().await.visitor_types = Some(types.clone());
    Ok(types)
}

/// The visitor types the site offers, in order (none: the built-in check-in). Fetched anew for
/// each visitor; while the server cannot be reached, the last ones fetched.
#[tauri::command]
pub async fn visitor_types(kiosk: State<'_, Kiosk>) -> Result<Vec<KioskVisitorType>, Error> {
    match refresh(&kiosk).await {
        Err(e @ (Error::Unreachable | Error::Internal(_))) => {
            kiosk.lock().await.visitor_types.clone().ok_or(e)
        }
        fetched => fetched,
    }
}

/// Where a visit this kiosk checked in stands: the waiting screen of a visit that needs its
/// host's approval asks until it is on site (with its badge code) or denied.
#[tauri::command]
pub async fn visit_state(
    kiosk: State<'_, Kiosk>,
    args: VisitArgs,
) -> Result<KioskVisitState, Error> {
    let path = format!(
        "/api/v1/kiosk/visits/{}",
        parse_id(&args.visit_id, "visit")?
    );
    device_send(&kiosk, Method::GET, &path, None::<&()>, None).await
}

/// The check-in's host: required, unless the visitor type chosen (one of `offered`) lets the
/// visitor skip it.
pub(crate) fn host_id(
    args: &CheckInArgs,
    offered: &[KioskVisitorType],
) -> Result<Option<Uuid>, Error> {
    if let Some(host) = args.host_id.as_deref().filter(|h| !h.trim().is_empty()) {
        return parse_id(host, "host").map(Some);
    }
    let type_id = args
        .visitor_type_id
        .as_deref()
        .map(|t| parse_id(t, "visitor_type"))
        .transpose()?;
    let skippable = offered
        .iter()
        .any(|t| Some(t.id) == type_id && !t.host_required);
    if skippable {
        Ok(None)
    } else {
        Err(Error::field("host", "choose the person you are visiting"))
    }
}

/// Whether the visitor type chosen (one of `offered`) waits for the host's approval.
pub(crate) fn needs_approval(args: &CheckInArgs, offered: &[KioskVisitorType]) -> bool {
    let chosen = args.visitor_type_id.as_deref().map(str::trim);
    offered
        .iter()
        .any(|t| t.approval && chosen == Some(t.id.to_string().as_str()))
}

/// An answer once parsed, as the server reads it (`AnswerValue`, untagged).
#[derive(Serialize, Zeroize, ZeroizeOnDrop)]
#[serde(untagged)]
enum Value {
    YesNo(bool),
    Choice(u8),
    Text(String),
}

#[derive(Serialize, Zeroize, ZeroizeOnDrop)]
struct Answer {
    #[zeroize(skip)]
    question_id: Uuid,
    value: Value,
}

/// What a check-in of a visitor type carries besides the visitor and the host, parsed: valid,
/// and wiped when dropped. Empty in the built-in flow (and then not sent at all).
#[derive(Serialize, Zeroize, ZeroizeOnDrop)]
pub(crate) struct TypedFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[zeroize(skip)]
    visitor_type_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    answers: Vec<Answer>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[zeroize(skip)]
    agreements: Vec<ShownAgreement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    photo: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    email_agreements: bool,
}

impl TypedFields {
    pub(crate) fn parse(args: &CheckInArgs) -> Result<TypedFields, Error> {
        let visitor_type_id = args
            .visitor_type_id
            .as_deref()
            .map(|t| parse_id(t, "visitor_type"))
            .transpose()?;
        let answers = args
            .answers
            .iter()
            .map(parse_answer)
            .collect::<Result<Vec<_>, _>>()?;
        let agreements = args
            .agreements
            .iter()
            .map(|a| {
                Ok(ShownAgreement {
                    document_id: parse_id(&a.document_id, "agreements")?,
                    version: a.version,
                    language: a.language,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let signature = image(args.signature.as_deref(), "signature", &[PNG_BASE64])?;
        if !agreements.is_empty() && signature.is_none() {
            return Err(Error::field("signature", "sign the agreements"));
        }
        let photo = image(args.photo.as_deref(), "photo", &[JPEG_BASE64, PNG_BASE64])?;
        Ok(TypedFields {
            visitor_type_id,
            answers,
            agreements,
            signature,
            photo,
            email_agreements: args.email_agreements,
        })
    }
}

/// The field of a question's answer in a validation error: `question:<id>`.
fn question_field(id: &str) -> String {
    format!("question:{}", id.trim())
}

fn parse_answer(a: &AnswerInput) -> Result<Answer, Error> {
    let field = question_field(&a.question_id);
    let question_id = Uuid::parse_str(a.question_id.trim())
        .map_err(|_| Error::field(&field, "not a valid id"))?;
    let value = match &a.value {
        AnswerInputValue::YesNo(yes) => Value::YesNo(*yes),
        AnswerInputValue::Choice(i) => u8::try_from(*i)
            .ok()
            .filter(|i| usize::from(*i) < MAX_CHOICES)
            .map(Value::Choice)
            .ok_or_else(|| Error::field(&field, "not one of the choices"))?,
        AnswerInputValue::Text(text) => Value::Text(
            ShortAnswer::parse(text)
                .map_err(|e| Error::field(&field, e.0))?
                .into(),
        ),
    };
    Ok(Answer { question_id, value })
}

/// Parses an image sent as base64, which must start like one of the `kinds` of file.
fn image(raw: Option<&str>, field: &'static str, kinds: &[&str]) -> Result<Option<String>, Error> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let data = ImageData::parse(raw.trim()).map_err(Error::invalid(field))?;
    if !kinds.iter().any(|k| data.as_str().starts_with(k)) {
        return Err(Error::field(field, "not an image of the expected kind"));
    }
    Ok(Some(data.into()))
}

#[cfg(test)]
mod tests;
