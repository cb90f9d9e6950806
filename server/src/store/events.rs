//! Live visit changes for the console (`GET /api/v1/events`): which visit, its site, its new
//! status and when, never a name. A change is published after its transaction commits; a lost
//! one (a listener reconnecting) costs a console only a late refresh, never a wrong record,
//! because the console re-reads what an event names.
//!
//! Every change goes first through one channel of the process, every tenant's (the webhook
//! sender wakes on it). On SQLite (one process) that is all; on PostgreSQL changes are sent as
//! `NOTIFY`s, several to a notice, that every replica relays to its own channel
//! ([`postgres`]), so a console connected to one replica sees a check-in made on another.
//! Consoles do not read that channel: a hub ([`feed`]) gathers each tenant's changes for a
//! moment and hands them, as one [`Feed`], to that tenant's streams alone, so a thousand open
//! consoles cost one wake-up and one write each per moment, not per change, and another
//! tenant's changes wake none of them.

mod feed;
mod postgres;

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, watch};
use uuid::Uuid;
use vestibule_shared::dto::visits::VisitEvent;

pub use feed::{Change, Feed, GATHER_MS};

use super::{Engine, Store};
use crate::ids::TenantId;

/// How many changes a slow subscriber may fall behind before it is told to resynchronise.
const BACKLOG: usize = 1024;
/// How long a first subscriber waits for the relay of other replicas' changes to listen.
const LISTEN_WAIT: Duration = Duration::from_secs(5);

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
    /// Every tenant's changes, one at a time.
    local: broadcast::Sender<VisitChange>,
    /// Each tenant's consoles' channel, while one is open (the hub drops a channel no stream
    /// holds any more).
    tenants: feed::Tenants,
    /// Whether the hub was started.
    gathering: Arc<AtomicBool>,
    /// Whether the relay of PostgreSQL's notifications was started.
    relaying: Arc<AtomicBool>,
    /// Whether it is listening right now.
    listening: Arc<watch::Sender<bool>>,
    /// PostgreSQL: the changes waiting for their `NOTIFY` (its task starts with the first).
    outgoing: Arc<OnceLock<mpsc::Sender<VisitChange>>>,
}

impl Events {
    pub(super) fn new() -> Events {
        let (local, _) = broadcast::channel(BACKLOG);
        Events {
            local,
            tenants: Arc::new(Mutex::new(HashMap::new())),
            gathering: Arc::new(AtomicBool::new(false)),
            relaying: Arc::new(AtomicBool::new(false)),
            listening: Arc::new(watch::Sender::new(false)),
            outgoing: Arc::new(OnceLock::new()),
        }
    }
}

impl Store {
    /// Tells every console of `tenant` (on every replica) that a visit changed. Called after the
    /// change committed; it never waits for the database: on PostgreSQL the change joins the
    /// next `NOTIFY`, and one that cannot be sent is logged, not returned (the change stands).
    pub fn publish(&self, tenant: TenantId, host: Option<Uuid>, event: VisitEvent) {
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
                let outgoing = self
                    .events
                    .outgoing
                    .get_or_init(|| postgres::notifier(pool));
                if outgoing.try_send(change).is_err() {
                    tracing::warn!("a visit change was dropped: too many waiting to be sent");
                }
            }
        }
    }

    /// A new subscription to every tenant's visit changes, one at a time, from now on.
    pub async fn subscribe(&self) -> broadcast::Receiver<VisitChange> {
        let rx = self.events.local.subscribe();
        self.relay_listening().await;
        rx
    }

    /// A console's subscription to `tenant`'s visit changes from now on, gathered: each
    /// [`Feed`] holds the changes of a moment (at most [`GATHER_MS`] late), in order.
    pub async fn watch(&self, tenant: TenantId) -> broadcast::Receiver<Feed> {
        let e = &self.events;
        if !e.gathering.swap(true, Ordering::SeqCst) {
            tokio::spawn(feed::hub(e.local.subscribe(), e.tenants.clone()));
        }
        let rx = feed::join(&e.tenants, tenant.0);
        self.relay_listening().await;
        rx
    }

    /// On PostgreSQL, starts the relay of every replica's changes (with the first subscriber)
    /// and waits, a few seconds at most, until it listens, so that nothing committed after a
    /// subscription is made is missed.
    async fn relay_listening(&self) {
        if let Engine::Postgres(pool) = &self.engine {
            let e = &self.events;
            if !e.relaying.swap(true, Ordering::SeqCst) {
                let relay = postgres::relay(pool.clone(), e.local.clone(), e.listening.clone());
                tokio::spawn(relay);
            }
            let mut listening = e.listening.subscribe();
            let _ = tokio::time::timeout(LISTEN_WAIT, listening.wait_for(|on| *on)).await;
        }
    }
}
