//! The console's live feed: `GET /api/v1/events`, a server-sent event stream of the caller's
//! tenant's visit changes (`event: visit`, data: a [`VisitEvent`]: ids, status and time, never a
//! name). The console re-reads what it shows when an event comes; `event: resync` says changes
//! were dropped (the client fell behind) and everything should be re-read. Changes come
//! gathered (`store/events.rs`): at most a tenth of a second late, a moment's in one write.
//! A stream ends after a few minutes and the browser's `EventSource` reconnects, so a
//! signed-out or expired session stops receiving at the latest then.

use std::{convert::Infallible, sync::Arc, time::Duration};

use axum::{
    body::{Body, Bytes},
    extract::State,
    http::header,
    response::IntoResponse,
};
use futures::{StreamExt, stream};
use rand::RngExt;
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::dto::visits::{VisitEvent, VisitStatus};

use crate::{
    auth::Staff,
    error::Error,
    ids::TenantId,
    state::AppState,
    store::{Change, Feed, GATHER_MS},
};

/// How long one stream lasts before the browser reconnects (and so re-authenticates).
const STREAM_LIFETIME: Duration = Duration::from_secs(300);
/// How long a stream may be silent before it is sent a comment (so that no proxy between the
/// console and the server takes it for dead).
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// Tells the tenant's consoles, on every replica, that a visit changed (after it committed).
pub(super) fn visit_changed(
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
    state.store.publish(tenant, host, event);
}

/// The tenant's visit changes as they happen (server-sent events; cookie or bearer session); a
/// host gets only the changes of their own visitors' visits.
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    responses((status = 200, content_type = "text/event-stream", body = String,
        description = "`event: visit` with a VisitEvent as data; `event: resync` when changes were dropped")),
    security(("session" = []), ("api_key" = ["events:read"])))]
async fn events(State(state): State<AppState>, staff: Staff) -> Result<impl IntoResponse, Error> {
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
    // Each stream writes at a moment of its own within the hub's gathering, so that a thousand
    // consoles' writes are spread over it, not queued at once in front of a check-in's answer.
    let phase = Duration::from_millis(rand::rng().random_range(0..GATHER_MS));
    let changes = stream::unfold((rx, own), move |(mut rx, own)| async move {
        let silent_until = tokio::time::Instant::now() + KEEP_ALIVE;
        let sse = loop {
            match tokio::time::timeout_at(silent_until, rx.recv()).await {
                Err(_) => break Bytes::from_static(b":\n\n"),
                Ok(Ok(Feed::Changes(gathered))) => {
                    tokio::time::sleep(phase).await;
                    let sse = match own.as_deref() {
                        None => gathered
                            .all
                            .get_or_init(|| visit_events(&gathered.changes))
                            .clone(),
                        Some(hosts) => {
                            let theirs = gathered.changes.iter().filter(|c| theirs(hosts, c));
                            visit_events(theirs)
                        }
                    };
                    if !sse.is_empty() {
                        break sse;
                    }
                }
                Ok(Ok(Feed::Resync) | Err(RecvError::Lagged(_))) => {
                    break Bytes::from_static(b"event: resync\ndata: {}\n\n");
                }
                Ok(Err(RecvError::Closed)) => return None,
            }
        };
        Some((Ok::<_, Infallible>(sse), (rx, own)))
    });
    let until = tokio::time::sleep(STREAM_LIFETIME);
    Ok((
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(changes.take_until(until)),
    ))
}

/// `changes` as `visit` events.
fn visit_events<'a>(changes: impl IntoIterator<Item = &'a Change>) -> Bytes {
    let mut sse = Vec::new();
    for c in changes {
        sse.extend_from_slice(b"event: visit\ndata: ");
        sse.extend_from_slice(c.json.as_bytes());
        sse.extend_from_slice(b"\n\n");
    }
    sse.into()
}

/// Whether a host with these host records hears of `change`: their own visitors' visits, and
/// never a held visitor (until staff admit them).
fn theirs(hosts: &[Uuid], change: &Change) -> bool {
    change.host.is_some_and(|host| hosts.contains(&host)) && change.status != VisitStatus::Held
}
