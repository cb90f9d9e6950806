//! The evacuation roll call, for the desk (admin, receptionist) and the receptionist in override
//! mode on a kiosk: starting one snapshots everyone on site at the site and emails the site's
//! emergency contacts the console's link; each mark and the close are audited and published on
//! the event stream (with the roll call's id), so every open roll call page, on any replica,
//! refreshes; the printable list is a PDF at every moment.

use axum::{extract::State, http::StatusCode, response::Response};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::{
        evacuations::{
            Evacuation, EvacuationStarted, EvacuationSummary, MarkPerson, RollCallPerson,
            RollCounts, RollStatus,
        },
        visits::{VisitEvent, VisitStatus},
    },
};

use super::{
    badges::document,
    extract::{ApiJson, ApiPath},
};
use crate::{
    auth::{Desk, Override},
    days,
    error::Error,
    ids::TenantId,
    pdf,
    state::AppState,
    store::{Actor, EvacuationRow, Notification, TenantTx},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start))
        .routes(routes!(list))
        .routes(routes!(get_one))
        .routes(routes!(mark))
        .routes(routes!(close))
        .routes(routes!(roll_call_pdf))
        .routes(routes!(kiosk_start))
}

/// The counts of a roll call's marks, each `(status, how many)`.
fn tally(marks: impl IntoIterator<Item = (RollStatus, u32)>) -> RollCounts {
    let mut c = RollCounts::default();
    for (status, n) in marks {
        c.total += n;
        match status {
            RollStatus::Safe => c.safe += n,
            RollStatus::Missing => c.missing += n,
            RollStatus::Unaccounted => c.unaccounted += n,
        }
    }
    c
}

/// A roll call as the API shows it.
async fn view(tx: &mut TenantTx, e: EvacuationRow) -> Result<Evacuation, Error> {
    let site = tx
        .site(e.site_id)
        .await?
        .map(|s| s.name)
        .unwrap_or_default();
    let people = tx.roll_call(e.id).await?;
    Ok(Evacuation {
        id: e.id,
        site_id: e.site_id,
        site_name: site,
        started_at: e.started_at,
        closed_at: e.closed_at,
        counts: tally(people.iter().map(|p| (p.status, 1))),
        people: people
            .into_iter()
            .map(|p| RollCallPerson {
                visit_id: p.visit.id,
                visitor_name: p.visit.visitor_name,
                visitor_company: p.visit.visitor_company,
                host_name: p.visit.host_name,
                checked_in_at: p.visit.checked_in_at,
                checked_out_at: p.visit.checked_out_at,
                status: p.status,
                marked_at: p.marked_at,
            })
            .collect(),
    })
}

/// Tells every console that roll call `e` changed.
fn changed(state: &AppState, tenant: TenantId, e: &Evacuation) {
    let event = VisitEvent {
        visit_id: e.id,
        site_id: e.site_id,
        status: VisitStatus::OnSite,
        at: state.clock.now(),
        evacuation_id: Some(e.id),
    };
    state.store.publish(tenant, None, event);
}

/// Starts the roll call at `site` and queues the emergency contacts' emails.
async fn begin(
    state: &AppState,
    tenant: TenantId,
    actor: Actor,
    site: Uuid,
) -> Result<Evacuation, Error> {
    let mut tx = state.store.write(tenant).await?;
    let site_row = tx.site(site).await?.ok_or(Error::NotFound)?;
    let row = tx.start_evacuation(site).await?;
    let contacts: Vec<String> =
        serde_json::from_str(&site_row.emergency_contacts).unwrap_or_default();
    let now = tx.now();
    for to in contacts {
        let n = Notification {
            code: Some(to),
            ..Notification::about("evacuation", row.id)
        };
        tx.enqueue("emergency_contact", &n, now).await?;
    }
    tx.audit(actor, "evacuation.start", format!("evacuation:{}", row.id))
        .await?;
    let e = view(&mut tx, row).await?;
    tx.commit().await?;
    changed(state, tenant, &e);
    Ok(e)
}

/// Starts an evacuation of the site: everyone on site now is on its roll call.
#[utoipa::path(post, path = "/api/v1/sites/{id}/evacuations", tag = "evacuations", params(("id" = Uuid, Path)),
    responses((status = 201, body = Evacuation), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)),
    security(("session" = ["admin", "receptionist"])))]
async fn start(
    State(state): State<AppState>,
    Desk(staff): Desk,
    ApiPath(site): ApiPath<Uuid>,
) -> Result<(StatusCode, ApiJson<Evacuation>), Error> {
    let e = begin(&state, staff.tenant, staff.actor(), site).await?;
    Ok((StatusCode::CREATED, ApiJson(e)))
}

/// Starts an evacuation of the kiosk's site, for the receptionist in override mode.
#[utoipa::path(post, path = "/api/v1/kiosk/override/evacuations", tag = "override",
    responses((status = 201, body = EvacuationStarted), (status = 409, body = ErrorEnvelope)),
    security(("device" = [], "override" = [])))]
async fn kiosk_start(
    State(state): State<AppState>,
    o: Override,
) -> Result<(StatusCode, ApiJson<EvacuationStarted>), Error> {
    let e = begin(&state, o.device.tenant, o.actor(), o.device.kiosk.site_id).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(EvacuationStarted {
            id: e.id,
            total: e.counts.total,
        }),
    ))
}

/// The latest roll calls, open and closed, newest first.
#[utoipa::path(get, path = "/api/v1/evacuations", tag = "evacuations",
    responses((status = 200, body = Vec<EvacuationSummary>)), security(("session" = ["admin", "receptionist"])))]
async fn list(
    State(state): State<AppState>,
    Desk(staff): Desk,
) -> Result<ApiJson<Vec<EvacuationSummary>>, Error> {
    let mut tx = state.store.read(staff.tenant).await?;
    let sites: std::collections::HashMap<Uuid, String> = tx
        .sites()
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let mut out = Vec::new();
    for e in tx.evacuations().await? {
        let marks = tx.roll_marks(e.id).await?;
        out.push(EvacuationSummary {
            id: e.id,
            site_id: e.site_id,
            site_name: sites.get(&e.site_id).cloned().unwrap_or_default(),
            started_at: e.started_at,
            closed_at: e.closed_at,
            counts: tally(
                marks
                    .into_iter()
                    .map(|(s, n)| (s, u32::try_from(n).unwrap_or(0))),
            ),
        });
    }
    tx.commit().await?;
    Ok(ApiJson(out))
}

#[utoipa::path(get, path = "/api/v1/evacuations/{id}", tag = "evacuations", params(("id" = Uuid, Path)),
    responses((status = 200, body = Evacuation), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin", "receptionist"])))]
async fn get_one(
    State(state): State<AppState>,
    Desk(staff): Desk,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<Evacuation>, Error> {
    let mut tx = state.store.read(staff.tenant).await?;
    let row = tx.evacuation(id).await?.ok_or(Error::NotFound)?;
    let e = view(&mut tx, row).await?;
    tx.commit().await?;
    Ok(ApiJson(e))
}

/// Marks a person of an open roll call safe or missing.
#[utoipa::path(patch, path = "/api/v1/evacuations/{id}/people/{visit_id}", tag = "evacuations",
    params(("id" = Uuid, Path), ("visit_id" = Uuid, Path)), request_body = MarkPerson,
    responses((status = 200, body = Evacuation), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)),
    security(("session" = ["admin", "receptionist"])))]
async fn mark(
    State(state): State<AppState>,
    Desk(staff): Desk,
    ApiPath((id, visit)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<MarkPerson>,
) -> Result<ApiJson<Evacuation>, Error> {
    if body.status == RollStatus::Unaccounted {
        return Err(Error::InvalidInput(
            "status: must be safe or missing".into(),
        ));
    }
    let mut tx = state.store.write(staff.tenant).await?;
    let row = tx.evacuation(id).await?.ok_or(Error::NotFound)?;
    if row.closed_at.is_some() {
        return Err(Error::Conflict("the roll call is closed"));
    }
    if !tx.mark_evacuee(id, visit, body.status).await? {
        return Err(Error::NotFound);
    }
    tx.audit(
        staff.actor(),
        &format!("evacuation.mark_{}", body.status.as_str()),
        format!("evacuation:{id}:visit:{visit}"),
    )
    .await?;
    let e = view(&mut tx, row).await?;
    tx.commit().await?;
    changed(&state, staff.tenant, &e);
    Ok(ApiJson(e))
}

/// Closes a roll call; it stays readable, and its marks stay in the audit trail.
#[utoipa::path(post, path = "/api/v1/evacuations/{id}/close", tag = "evacuations", params(("id" = Uuid, Path)),
    responses((status = 200, body = Evacuation), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin", "receptionist"])))]
async fn close(
    State(state): State<AppState>,
    Desk(staff): Desk,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<Evacuation>, Error> {
    let mut tx = state.store.write(staff.tenant).await?;
    tx.evacuation(id).await?.ok_or(Error::NotFound)?;
    tx.close_evacuation(id).await?;
    tx.audit(
        staff.actor(),
        "evacuation.close",
        format!("evacuation:{id}"),
    )
    .await?;
    let row = tx.evacuation(id).await?.ok_or(Error::NotFound)?;
    let e = view(&mut tx, row).await?;
    tx.commit().await?;
    changed(&state, staff.tenant, &e);
    Ok(ApiJson(e))
}

/// The roll call as a printable PDF, as it stands now.
#[utoipa::path(get, path = "/api/v1/evacuations/{id}/roll-call.pdf", tag = "evacuations", params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ErrorEnvelope)),
    security(("session" = ["admin", "receptionist"])))]
async fn roll_call_pdf(
    State(state): State<AppState>,
    Desk(staff): Desk,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, Error> {
    let mut tx = state.store.read(staff.tenant).await?;
    let row = tx.evacuation(id).await?.ok_or(Error::NotFound)?;
    let tz = tx
        .site(row.site_id)
        .await?
        .map(|s| s.timezone)
        .unwrap_or_default();
    let e = view(&mut tx, row).await?;
    tx.commit().await?;
    let mut heading = vec![
        format!("Evacuation roll call: {}", e.site_name),
        format!("Started {}", days::local_time(e.started_at, &tz)),
    ];
    if let Some(at) = e.closed_at {
        heading.push(format!("Closed {}", days::local_time(at, &tz)));
    }
    let c = &e.counts;
    heading.push(format!(
        "{} on site at the start: {} safe, {} missing, {} not yet accounted for",
        c.total, c.safe, c.missing, c.unaccounted
    ));
    let rows: Vec<(String, String)> = e
        .people
        .iter()
        .map(|p| {
            let status = match p.status {
                RollStatus::Safe => "safe",
                RollStatus::Missing => "MISSING",
                RollStatus::Unaccounted => "not yet accounted for",
            };
            let left = p
                .checked_out_at
                .map(|at| format!("; checked out {}", days::local_time(at, &tz)))
                .unwrap_or_default();
            (
                format!("{status}{left}"),
                days::local_time(p.checked_in_at, &tz),
            )
        })
        .collect();
    let lines: Vec<pdf::RollCallLine<'_>> = e
        .people
        .iter()
        .zip(&rows)
        .map(|(p, (status, checked_in))| pdf::RollCallLine {
            name: &p.visitor_name,
            company: p.visitor_company.as_deref(),
            host: p.host_name.as_deref().unwrap_or("-"),
            checked_in,
            status,
        })
        .collect();
    Ok(document(
        pdf::roll_call(&heading, &lines)?,
        "application/pdf",
    ))
}
