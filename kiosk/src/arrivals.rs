//! Arrivals by code: an invited visitor's invitation (its QR code, or the code typed) and a
//! returning visitor's pass, each looked up first (to greet the visitor by first name) and then
//! redeemed, which checks the visitor in.

use reqwest::Method;
use serde::Serialize;
use tauri::State;
use uuid::Uuid;
use vestibule_shared::{
    dto::{invites::InviteGreeting, passes::PassGreeting, visits::CheckedIn},
    types::{InviteCode, PassCode},
};

use crate::{
    commands::{device_send, parse_id},
    contract::{InviteArgs, PassArgs},
    error::Error,
    state::Kiosk,
};

/// What the server reads an invitation's code from.
#[derive(Serialize)]
struct InviteBody<'a> {
    invite_code: &'a str,
}

fn invite_code(args: &InviteArgs) -> Result<InviteCode, Error> {
    InviteCode::parse(&args.code).map_err(Error::invalid("code"))
}

/// The invited visitor's first name and host, to greet them before the agreement.
#[tauri::command]
pub async fn lookup_invite(
    kiosk: State<'_, Kiosk>,
    args: InviteArgs,
) -> Result<InviteGreeting, Error> {
    let code = invite_code(&args)?;
    let body = InviteBody {
        invite_code: code.as_str(),
    };
    device_send(
        &kiosk,
        Method::POST,
        "/api/v1/kiosk/invites/lookup",
        Some(&body),
        None,
    )
    .await
}

/// Checks the invited visitor in with their code (a retry reuses the same idempotency key).
#[tauri::command]
pub async fn redeem_invite(kiosk: State<'_, Kiosk>, args: InviteArgs) -> Result<CheckedIn, Error> {
    let code = invite_code(&args)?;
    let body = InviteBody {
        invite_code: code.as_str(),
    };
    redeem(&kiosk, &body).await
}

/// What the server reads a pass from.
#[derive(Serialize)]
struct PassBody<'a> {
    pass_code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    host_id: Option<Uuid>,
}

fn pass_code(code: &str) -> Result<PassCode, Error> {
    PassCode::parse(code).map_err(Error::invalid("code"))
}

/// The pass holder's first name (and the host of their invitation today, if any), to greet them.
#[tauri::command]
pub async fn lookup_pass(kiosk: State<'_, Kiosk>, args: InviteArgs) -> Result<PassGreeting, Error> {
    let code = pass_code(&args.code)?;
    let body = PassBody {
        pass_code: code.as_str(),
        host_id: None,
    };
    let path = "/api/v1/kiosk/passes/lookup";
    device_send(&kiosk, Method::POST, path, Some(&body), None).await
}

/// Checks the pass holder in (a retry reuses the same idempotency key).
#[tauri::command]
pub async fn redeem_pass(kiosk: State<'_, Kiosk>, args: PassArgs) -> Result<CheckedIn, Error> {
    let code = pass_code(&args.code)?;
    let host_id = args
        .host_id
        .as_deref()
        .map(|h| parse_id(h, "host"))
        .transpose()?;
    let body = PassBody {
        pass_code: code.as_str(),
        host_id,
    };
    redeem(&kiosk, &body).await
}

/// Checks in by a code: the same body again (a retry) goes under the same idempotency key.
async fn redeem(kiosk: &Kiosk, body: &impl Serialize) -> Result<CheckedIn, Error> {
    let bytes = serde_json::to_vec(body).map_err(|e| Error::Internal(e.to_string()))?;
    let key = kiosk.idempotency_key(&bytes).await;
    let path = "/api/v1/kiosk/visits";
    device_send(kiosk, Method::POST, path, Some(body), Some(&key)).await
}
