//! The consoles' hub: one task reads every change of the process, gathers each tenant's for
//! [`GATHER`] from the first, renders each event's JSON once and hands the lot to that
//! tenant's channel, which only that tenant's streams hold.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock, PoisonError},
    time::Duration,
};

use bytes::Bytes;
use tokio::{
    sync::broadcast::{self, error::RecvError},
    time::Instant,
};
use uuid::Uuid;
use vestibule_shared::dto::visits::VisitStatus;

use super::VisitChange;

/// Each tenant's consoles' channel.
pub type Tenants = Arc<Mutex<HashMap<Uuid, broadcast::Sender<Feed>>>>;

/// How long the hub gathers changes before handing them on, in milliseconds: how late a
/// console hears of one (and a stream may take as long again to write them).
pub const GATHER_MS: u64 = 100;
const GATHER: Duration = Duration::from_millis(GATHER_MS);
/// How many feeds a slow console may fall behind before it is told to resynchronise.
const BACKLOG: usize = 64;

/// What a tenant's consoles are handed.
#[derive(Debug, Clone)]
pub enum Feed {
    /// The changes of a moment, in the order they were published.
    Changes(Arc<Gathered>),
    /// Changes were dropped: everything should be read again.
    Resync,
}

/// A moment's changes of one tenant, and (made by the first stream that needs it, shared by
/// the others) the form in which a stream that may see them all sends them.
#[derive(Debug)]
pub struct Gathered {
    pub changes: Vec<Change>,
    pub all: OnceLock<Bytes>,
}

/// One change as a console's stream needs it: what it filters on, and the event's JSON.
#[derive(Debug)]
pub struct Change {
    pub host: Option<Uuid>,
    pub status: VisitStatus,
    pub json: String,
}

/// A new receiver of `tenant`'s feeds (its channel made if no console held one).
pub fn join(tenants: &Tenants, tenant: Uuid) -> broadcast::Receiver<Feed> {
    let mut tenants = tenants.lock().unwrap_or_else(PoisonError::into_inner);
    tenants
        .entry(tenant)
        .or_insert_with(|| broadcast::channel(BACKLOG).0)
        .subscribe()
}

/// Runs the hub until every sender of `all` is gone.
pub async fn hub(mut all: broadcast::Receiver<VisitChange>, tenants: Tenants) {
    let mut gathered: HashMap<Uuid, Vec<Change>> = HashMap::new();
    loop {
        // The first change of a moment, then the others until the moment is over.
        let mut lagged = false;
        match all.recv().await {
            Ok(c) => gather(&mut gathered, c),
            Err(RecvError::Lagged(_)) => lagged = true,
            Err(RecvError::Closed) => return,
        }
        let until = Instant::now() + GATHER;
        let closed = loop {
            match tokio::time::timeout_at(until, all.recv()).await {
                Err(_) => break false,
                Ok(Ok(c)) => gather(&mut gathered, c),
                Ok(Err(RecvError::Lagged(_))) => lagged = true,
                Ok(Err(RecvError::Closed)) => break true,
            }
        };
        hand_on(&tenants, &mut gathered, lagged);
        if closed {
            return;
        }
    }
}

fn gather(gathered: &mut HashMap<Uuid, Vec<Change>>, c: VisitChange) {
    if let Ok(json) = serde_json::to_string(&c.event) {
        gathered.entry(c.tenant).or_default().push(Change {
            host: c.host,
            status: c.event.status,
            json,
        });
    }
}

/// Hands each tenant its changes (and every tenant a resync if the hub fell behind), and drops
/// the channels no console holds any more.
fn hand_on(tenants: &Tenants, gathered: &mut HashMap<Uuid, Vec<Change>>, lagged: bool) {
    let mut tenants = tenants.lock().unwrap_or_else(PoisonError::into_inner);
    if lagged {
        for tx in tenants.values() {
            let _ = tx.send(Feed::Resync);
        }
    }
    for (tenant, changes) in gathered.drain() {
        if let Some(tx) = tenants.get(&tenant) {
            let all = OnceLock::new();
            let _ = tx.send(Feed::Changes(Arc::new(Gathered { changes, all })));
        }
    }
    tenants.retain(|_, tx| tx.receiver_count() > 0);
}
