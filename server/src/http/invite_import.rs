//! Invitations in bulk, from a CSV file: `name,email,host_email,expected_at` and, if wanted,
//! `company` and `note`. The site is the host's, and a time without an offset is read at that
//! site (`2026-12-04 14:30`). As with the directory import, every row is checked first: one bad
//! row and nothing is created, and the 422 lists each bad row with its line and column. A host
//! imports only for themselves. Each invitation's emails go out as if it were created alone.

use std::collections::HashMap;

use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};
use vestibule_shared::{
    ErrorEnvelope,
    dto::invites::InviteImport,
    types::{CompanyName, Email, Note, PersonName, ValidationError},
};

use super::{
    csv_rows::{self, Row},
    extract::{ApiJson, RawBody},
    invites::{EXPECTED_RULE, expected_in_range, new_code},
    views,
};
use crate::{
    auth::Staff,
    days::{end_of_day, parse_time},
    error::Error,
    state::AppState,
    store::NewInvite,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import_invites))
}

/// Creates the invitations of a CSV file (`Content-Type: text/csv`), all or none. The answer
/// carries each invitation's code, the only time it is shown.
#[utoipa::path(post, path = "/api/v1/invites/import", tag = "invites", request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = InviteImport), (status = 422, body = ErrorEnvelope)), security(("session" = []), ("api_key" = ["invites:write"])))]
async fn import_invites(
    State(state): State<AppState>,
    staff: Staff,
    RawBody(body): RawBody,
) -> Result<(StatusCode, ApiJson<InviteImport>), Error> {
    let own = staff.own_visits()?;
    let mut tx = state.store.write(staff.tenant).await?;
    let zones: HashMap<_, _> = tx
        .sites()
        .await?
        .into_iter()
        .map(|s| (s.id, s.timezone))
        .collect();
    // The hosts one may invite for, by email: all of them for the desk, a host's own records.
    let hosts: HashMap<String, (uuid::Uuid, uuid::Uuid)> = tx
        .hosts(None)
        .await?
        .into_iter()
        .map(|h| (h.email.to_lowercase(), (h.id, h.site_id)))
        .filter(|(email, _)| {
            own.as_ref()
                .is_none_or(|o| o.as_str().eq_ignore_ascii_case(email))
        })
        .collect();
    let now = tx.now();
    let rows = csv_rows::parse(
        &body,
        &["name", "email", "host_email", "expected_at"],
        |row| {
            let field = |column: &str, e: ValidationError| row.error(column, e.0);
            let (host_id, site_id) = hosts
                .get(&row.get("host_email").to_lowercase())
                .copied()
                .ok_or_else(|| {
                    let rule = if own.is_some() {
                        "must be your own email: a host invites only their own visitors"
                    } else {
                        "no host has this email"
                    };
                    row.error("host_email", rule)
                })?;
            let tz = zones.get(&site_id).map_or("UTC", String::as_str);
            let expected_at = parse_time(row.get("expected_at"), tz).ok_or_else(|| {
                row.error(
                    "expected_at",
                    "must be a time such as 2026-12-04 14:30 (at the site) or 2026-12-04T13:30:00Z",
                )
            })?;
            if !expected_in_range(now, expected_at) {
                return Err(row.error("expected_at", EXPECTED_RULE));
            }
            Ok(NewInvite {
                site_id,
                host_id,
                name: PersonName::parse(row.get("name"))
                    .map_err(|e| field("name", e))?
                    .into(),
                email: Email::parse(row.get("email")).map_err(|e| field("email", e))?,
                company: optional(row, "company", CompanyName::parse)
                    .map_err(|e| field("company", e))?
                    .map(Into::into),
                note: optional(row, "note", Note::parse)
                    .map_err(|e| field("note", e))?
                    .map(Into::into),
                expected_at,
                expires_at: end_of_day(expected_at, tz)
                    .map_err(|_| row.error("expected_at", EXPECTED_RULE))?,
                code: new_code().map_err(|_| row.error("", "no code could be drawn"))?,
            })
        },
    )?;
    let (mut invites, mut errors) = (Vec::new(), Vec::new());
    for row in rows {
        match row {
            Ok((_, invite)) => invites.push(invite),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(Error::InvalidRows(errors));
    }
    let mut created = Vec::with_capacity(invites.len());
    for new in &invites {
        let row = tx.insert_invite(staff.actor(), new).await?;
        created.push(views::invite(row, Some(new.code.display())));
    }
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(InviteImport {
            imported: created.len(),
            invites: created,
        }),
    ))
}

/// An optional column's value: none when the column or the field is empty.
fn optional<T>(
    row: &Row<'_>,
    column: &str,
    parse: fn(&str) -> Result<T, ValidationError>,
) -> Result<Option<T>, ValidationError> {
    match row.get(column) {
        "" => Ok(None),
        raw => parse(raw).map(Some),
    }
}
