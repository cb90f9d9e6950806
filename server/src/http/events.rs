//! The console's live feed: `GET /api/v1/events`, a server-sent event stream of the caller's
//! tenant's visit changes (`event: visit`, data: a [`VisitEvent`]: ids, status and time, never a
//! name). The console re-reads what it shows when an event comes; `event: resync` says changes
//! were dropped (the client fell behind) and everything should be re-read. A stream ends after
//! a few minutes and the browser's `EventSource` reconnects, so a signed-out or expired
//! session stops receiving at the latest then.

use std::{convert::Infallible, time::Duration};

use axum::{
    extract::State,
    response::sse::{Event, KeepAlive, Sse},
};
use futures::{Stream, StreamExt, stream};
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::dto::visits::{VisitEvent, VisitStatus};

use crate::{auth::Staff, ids::TenantId, state::AppState};

/// How long one stream lasts before the browser reconnects (and so re-authenticates).
const STREAM_LIFETIME: Duration = Duration::from_secs(300);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// Tells the tenant's consoles, on every replica, that a visit changed (after it committed).
pub(super) async fn visit_changed(
    state: &AppState,
    tenant: TenantId,
    visit_id: Uuid,
    site_id: Uuid,
    status: VisitStatus,
) {
    let event = VisitEvent {
        visit_id,
        site_id,
        status,
        at: state.clock.now(),
    };
    state.store.publish(tenant, event).await;
}

/// The tenant's visit changes as they happen (server-sent events; cookie or bearer session).
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    responses((status = 200, content_type = "text/event-stream", body = String,
        description = "`event: visit` with a VisitEvent as data; `event: resync` when changes were dropped")),
    security(("session" = [])))]
async fn events(
    State(state): State<AppState>,
    staff: Staff,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let tenant = staff.tenant.0;
    let changes = stream::unfold(state.store.subscribe(), move |mut rx| async move {
        loop {
            let event = match rx.recv().await {
                Ok(c) if c.tenant == tenant => Event::default().event("visit").json_data(c.event),
                Ok(_) => continue,
                Err(RecvError::Lagged(_)) => Ok(Event::default().event("resync").data("{}")),
                Err(RecvError::Closed) => return None,
            };
            match event {
                Ok(e) => return Some((Ok(e), rx)),
                Err(_) => continue,
            }
        }
    });
    let until = tokio::time::sleep(STREAM_LIFETIME);
    Sse::new(changes.take_until(until)).keep_alive(KeepAlive::default())
}
