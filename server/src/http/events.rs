//! The console's live feed: `GET /api/v1/events`, a server-sent event stream of the caller's
//! tenant's visit changes (`event: visit`, data: a [`VisitEvent`]: ids, status and time, never a
//! name). The console re-reads what it shows when an event comes; `event: resync` says changes
//! were dropped (the client fell behind) and everything should be re-read. Changes come
//! gathered (`store/events.rs`): at most a tenth of a second late, a moment's in one write.
//! A stream ends after a few minutes and the browser's `EventSource` reconnects, so a
//! signed-out or expired session stops receiving at the latest then.

use std::{convert::Infallible, sync::Arc, time::Duration};

use axum::{
    extract::State,
    response::sse::{Event, KeepAlive, Sse},
};
use futures::{Stream, StreamExt, stream};
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::dto::visits::{VisitEvent, VisitStatus};

use crate::{
    auth::Staff,
    error::Error,
    ids::TenantId,
    state::AppState,
    store::{Change, Feed},
};

/// How long one stream lasts before the browser reconnects (and so re-authenticates).
const STREAM_LIFETIME: Duration = Duration::from_secs(300);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// Tells the tenant's consoles, on every replica, that a visit changed (after it committed).
pub(super) async fn visit_changed(
    state: &AppState,
    tenant: TenantId,
    visit: (Uuid, Uuid, Option<Uuid>),
    status: VisitStatus,
) {
    let (visit_id, site_id, host) = visit;
    let event = VisitEvent {
        visit_id,
        site_id,
        status,
        at: state.clock.now(),
        evacuation_id: None,
    };
    state.store.publish(tenant, host, event).await;
}

/// The tenant's visit changes as they happen (server-sent events; cookie or bearer session); a
/// host gets only the changes of their own visitors' visits.
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    responses((status = 200, content_type = "text/event-stream", body = String,
        description = "`event: visit` with a VisitEvent as data; `event: resync` when changes were dropped")),
    security(("session" = []), ("api_key" = ["events:read"])))]
async fn events(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Error> {
    let rx = state.store.watch(staff.tenant).await;
    let own: Option<Arc<[Uuid]>> = match staff.own_visits()? {
        Some(email) => {
            let mut tx = state.store.read(staff.tenant).await?;
            let hosts = tx.hosts_of(&email).await?;
            tx.commit().await?;
            Some(hosts.into())
        }
        None => None,
    };
    // A feed's events go out together: one write to the connection, not one per event.
    let changes = stream::unfold(rx, move |mut rx| {
        let own = own.clone();
        async move {
            loop {
                let events: Vec<Event> = match rx.recv().await {
                    Ok(Feed::Changes(changes)) => changes
                        .iter()
                        .filter(|c| own.as_ref().is_none_or(|hosts| theirs(hosts, c)))
                        .map(|c| Event::default().event("visit").data(&c.json))
                        .collect(),
                    Ok(Feed::Resync) | Err(RecvError::Lagged(_)) => {
                        vec![Event::default().event("resync").data("{}")]
                    }
                    Err(RecvError::Closed) => return None,
                };
                if !events.is_empty() {
                    return Some((stream::iter(events.into_iter().map(Ok)), rx));
                }
            }
        }
    })
    .flatten();
    let until = tokio::time::sleep(STREAM_LIFETIME);
    Ok(Sse::new(changes.take_until(until)).keep_alive(KeepAlive::default()))
}

/// Whether a host with these host records hears of `change`: their own visitors' visits, and
/// never a held visitor (until staff admit them).
fn theirs(hosts: &[Uuid], change: &Change) -> bool {
    change.host.is_some_and(|host| hosts.contains(&host)) && change.status != VisitStatus::Held
}
