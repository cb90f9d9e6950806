//! The receptionist's override mode on the kiosk: signing in with an email and PIN (kept, as a
//! verifier, for an outage: `offline::desk`), the visitors on site and the expected arrivals,
//! checking in (an invited visitor, or anyone), checking out, a visitor's photo, a correction,
//! and signing out. Every request goes with the override token (`commands::as_override`); printing
//! and the evacuation have theirs in `printing.rs` and `evacuation.rs`.

use reqwest::Method;
use serde::{
    Serialize,
    de::{DeserializeOwned, IgnoredAny},
};
use tauri::State;
use vestibule_shared::{
    dto::{
        invites::ExpectedVisitor,
        kiosk::OverrideToken,
        visits::{CheckedIn, Visit},
    },
    types::{CompanyName, Email, PersonName, Pin, Purpose},
};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{
    client::As,
    commands::{as_override, device_send, optional, parse_id, submit_check_in},
    contract::{
        CheckInArgs, CorrectionArgs, ExpectedArrival, InvitedArgs, OnSiteVisit, OverrideLoginArgs,
        OverrideSession, VisitArgs,
    },
    error::Error,
    offline,
    state::Kiosk,
};

/// Sends one request in override mode (see `commands::as_override`), without an idempotency key.
async fn send<T: DeserializeOwned>(
    kiosk: &Kiosk,
    method: Method,
    path: &str,
    body: Option<&(impl Serialize + Sync)>,
) -> Result<T, Error> {
    as_override(kiosk, async |client, who| {
        client.send(method, path, who, body, None).await
    })
    .await
}

#[derive(Serialize)]
struct Credentials<'a> {
    email: &'a str,
    pin: &'a str,
}

#[tauri::command]
pub async fn override_login(
    kiosk: State<'_, Kiosk>,
    args: OverrideLoginArgs,
) -> Result<OverrideSession, Error> {
    let email = Zeroizing::new(String::from(
        Email::parse(&args.email).map_err(Error::invalid("email"))?,
    ));
    let pin = Pin::parse(args.pin.trim().to_owned()).map_err(Error::invalid("pin"))?;
    let body = Credentials {
        email: &email,
        pin: pin.expose(),
    };
    let sent = device_send::<OverrideToken>(
        &kiosk,
        Method::POST,
        "/api/v1/kiosk/override",
        Some(&body),
        None,
    )
    .await;
    let token = match sent {
        Ok(token) => token,
        Err(Error::Unreachable) => return offline::desk_login(&kiosk, &email, pin.expose()).await,
        Err(e) => return Err(e),
    };
    // Kept for override mode during an outage (`offline::desk`).
    let verifier = offline::desk::hash(pin.expose()).await?;
    let mut inner = kiosk.lock().await;
    inner.override_token = Some(Zeroizing::new(token.override_token));
    inner.offline.desk.remember(&email, verifier);
    Ok(OverrideSession {
        expires_at: token.expires_at.to_rfc3339(),
    })
}

#[tauri::command]
pub async fn override_visits(kiosk: State<'_, Kiosk>) -> Result<Vec<OnSiteVisit>, Error> {
    let path = "/api/v1/kiosk/override/visits";
    let visits: Vec<Visit> = send(&kiosk, Method::GET, path, None::<&()>).await?;
    Ok(visits
        .into_iter()
        .map(|v| OnSiteVisit {
            id: v.id.to_string(),
            visitor_name: v.visitor_name,
            visitor_company: v.visitor_company,
            host_name: v.host_name.unwrap_or_default(),
            checked_in_at: v.checked_in_at.to_rfc3339(),
            badge_code: v.badge_code,
            purpose: v.purpose,
        })
        .collect())
}

#[tauri::command]
pub async fn override_expected(kiosk: State<'_, Kiosk>) -> Result<Vec<ExpectedArrival>, Error> {
    let path = "/api/v1/kiosk/override/invites";
    let expected: Vec<ExpectedVisitor> = send(&kiosk, Method::GET, path, None::<&()>).await?;
    Ok(expected
        .into_iter()
        .map(|e| ExpectedArrival {
            id: e.id.to_string(),
            visitor_name: e.visitor_name,
            host_name: e.host_name,
            expected_at: e.expected_at.to_rfc3339(),
        })
        .collect())
}

#[tauri::command]
pub async fn override_check_in_invited(
    kiosk: State<'_, Kiosk>,
    args: InvitedArgs,
) -> Result<(), Error> {
    let path = format!(
        "/api/v1/kiosk/override/invites/{}/check-in",
        parse_id(&args.invite_id, "invite")?
    );
    let _: IgnoredAny = send(&kiosk, Method::POST, &path, None::<&()>).await?;
    Ok(())
}

#[tauri::command]
pub async fn override_check_out(kiosk: State<'_, Kiosk>, args: VisitArgs) -> Result<(), Error> {
    let path = format!(
        "/api/v1/kiosk/override/visits/{}/checkout",
        parse_id(&args.visit_id, "visit")?
    );
    send(&kiosk, Method::POST, &path, None::<&()>).await
}

/// A visitor's photo for the receptionist (base64 JPEG, in memory only); `None` if none was taken.
#[tauri::command]
pub async fn override_photo(
    kiosk: State<'_, Kiosk>,
    args: VisitArgs,
) -> Result<Option<String>, Error> {
    use base64::Engine;
    let path = format!(
        "/api/v1/kiosk/override/visits/{}/photo",
        parse_id(&args.visit_id, "visit")?
    );
    match as_override(&kiosk, async |client, who| client.fetch(&path, who).await).await {
        Ok(jpeg) => Ok(Some(
            base64::engine::general_purpose::STANDARD.encode(jpeg.as_slice()),
        )),
        Err(Error::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

#[tauri::command]
pub async fn override_check_in(
    kiosk: State<'_, Kiosk>,
    args: CheckInArgs,
) -> Result<CheckedIn, Error> {
    submit_check_in(&kiosk, "/api/v1/kiosk/override/visits", &args, true).await
}

/// The changed fields of a visit, parsed; absent ones stay as they are.
#[derive(Serialize, Zeroize, ZeroizeOnDrop)]
struct Correction {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    company: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purpose: Option<String>,
}

#[tauri::command]
pub async fn override_correct(kiosk: State<'_, Kiosk>, args: CorrectionArgs) -> Result<(), Error> {
    let path = format!(
        "/api/v1/kiosk/override/visits/{}",
        parse_id(&args.visit_id, "visit")?
    );
    let body = Correction {
        name: optional(
            args.visitor_name.as_deref(),
            "visitor_name",
            PersonName::parse,
        )?,
        company: optional(
            args.visitor_company.as_deref(),
            "visitor_company",
            CompanyName::parse,
        )?,
        purpose: optional(args.purpose.as_deref(), "purpose", Purpose::parse)?,
    };
    let _: IgnoredAny = send(&kiosk, Method::PATCH, &path, Some(&body)).await?;
    Ok(())
}

#[tauri::command]
pub async fn override_exit(kiosk: State<'_, Kiosk>) -> Result<(), Error> {
    let token = {
        let mut inner = kiosk.lock().await;
        inner.offline.desk.signed_in = false;
        inner.override_token.take()
    };
    if let (Some(token), Ok(s)) = (token, kiosk.session().await) {
        // Best effort: the token also dies on its own when idle.
        let _: Result<(), Error> = s
            .client
            .send(
                Method::POST,
                "/api/v1/kiosk/override/exit",
                As::Override(&s.device, &token),
                None::<&()>,
                None,
            )
            .await;
    }
    Ok(())
}
