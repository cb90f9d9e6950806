//! Live visit changes for the console (`GET /api/v1/events`): which visit, its site, its new
//! status and when, never a name. On SQLite (one process) a broadcast channel carries them; on
//! PostgreSQL each change is a `NOTIFY` that every replica's listener relays to its own channel,
//! so a console connected to one replica sees a check-in made on another. A change is published
//! after its transaction commits; a lost one (a listener reconnecting) costs a console only a
//! late refresh, never a wrong record, because the console re-reads what an event names.
//! The listener starts with the first subscriber, on a connection of its own (never one of the
//! pool's, which it would hold for good).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use serde::{Deserialize, Serialize};
use sqlx::{
    PgPool,
    postgres::{PgListener, PgPoolOptions},
};
use tokio::sync::{broadcast, watch};
use uuid::Uuid;
use vestibule_shared::dto::visits::VisitEvent;

use super::{Engine, Store};
use crate::ids::TenantId;

/// The PostgreSQL channel of visit changes.
const CHANNEL: &str = "vestibule_visits";
/// How many changes a slow subscriber may fall behind before it is told to resynchronise.
const BACKLOG: usize = 1024;

/// A change, its tenant and the visit's host (the stream of one tenant's console filters on
/// them; a host's console gets only their own visits' changes).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VisitChange {
    pub tenant: Uuid,
    /// `None` for a visit without a host (a check-in made offline whose host was removed).
    pub host: Option<Uuid>,
    #[serde(flatten)]
    pub event: VisitEvent,
}

/// The process's end of the change stream.
#[derive(Clone)]
pub struct Events {
    local: broadcast::Sender<VisitChange>,
    /// Whether the relay of PostgreSQL's notifications was started.
    relaying: Arc<AtomicBool>,
    /// Whether it is listening right now.
    listening: Arc<watch::Sender<bool>>,
}

impl Events {
    pub(super) fn new() -> Events {
        let (local, _) = broadcast::channel(BACKLOG);
        Events {
            local,
            relaying: Arc::new(AtomicBool::new(false)),
            listening: Arc::new(watch::Sender::new(false)),
        }
    }
}

/// How long a first subscriber waits for the relay to listen.
const LISTEN_WAIT: Duration = Duration::from_secs(5);

/// Relays the channel's notifications to this process's subscribers, reconnecting when the
/// connection drops. Its one connection is made with the app pool's options, outside the pool.
async fn relay(
    app: PgPool,
    local: broadcast::Sender<VisitChange>,
    listening: Arc<watch::Sender<bool>>,
) {
    let own = PgPoolOptions::new()
        .max_connections(1)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_lazy_with((*app.connect_options()).clone());
    loop {
        let listener = async {
            let mut l = PgListener::connect_with(&own).await?;
            l.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(l)
        };
        match listener.await {
            Ok(mut l) => loop {
                listening.send_replace(true);
                match l.recv().await {
                    Ok(n) => {
                        if let Ok(change) = serde_json::from_str::<VisitChange>(n.payload()) {
                            let _ = local.send(change);
                        }
                    }
                    Err(e) => {
                        listening.send_replace(false);
                        tracing::warn!(error = %e, "the visit change listener lost its connection");
                        break;
                    }
                }
            },
            Err(e) => tracing::warn!(error = %e, "the visit change listener could not listen"),
        }
        if app.is_closed() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

impl Store {
    /// Tells every console of `tenant` (on every replica) that a visit changed. Called after the
    /// change committed; a failure to tell is logged, not returned: the change itself stands.
    pub async fn publish(&self, tenant: TenantId, host: Option<Uuid>, event: VisitEvent) {
        let change = VisitChange {
            tenant: tenant.0,
            host,
            event,
        };
        match &self.engine {
            Engine::Sqlite { .. } => {
                let _ = self.events.local.send(change);
            }
            Engine::Postgres(pool) => {
                let Ok(payload) = serde_json::to_string(&change) else {
                    return;
                };
                let sent = sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(payload)
                    .execute(pool)
                    .await;
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "a visit change could not be published");
                }
            }
        }
    }

    /// A new subscription to every tenant's visit changes, from now on. On PostgreSQL the
    /// first one starts the relay of every replica's changes and waits (a few seconds at most)
    /// until it listens, so that nothing committed after this returns is missed.
    pub async fn subscribe(&self) -> broadcast::Receiver<VisitChange> {
        let rx = self.events.local.subscribe();
        if let Engine::Postgres(pool) = &self.engine {
            let e = &self.events;
            if !e.relaying.swap(true, Ordering::SeqCst) {
                tokio::spawn(relay(pool.clone(), e.local.clone(), e.listening.clone()));
            }
            let mut listening = e.listening.subscribe();
            let _ = tokio::time::timeout(LISTEN_WAIT, listening.wait_for(|on| *on)).await;
        }
        rx
    }
}
