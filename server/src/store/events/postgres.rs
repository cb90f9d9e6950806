//! Visit changes between PostgreSQL replicas: changes are sent on the `vestibule_visits`
//! channel as JSON arrays, as many to a `NOTIFY` as were waiting (the notifier sends what
//! gathered while its last statement ran, so a busy desk costs one statement per round trip,
//! not one per change), and every replica's relay hands them to its own process's channel.
//! The relay listens on a connection of its own (never one of the pool's, which it would hold
//! for good).

use std::{sync::Arc, time::Duration};

use sqlx::{
    PgPool,
    postgres::{PgListener, PgPoolOptions},
};
use tokio::sync::{broadcast, mpsc, watch};

use super::VisitChange;

/// The PostgreSQL channel of visit changes.
const CHANNEL: &str = "vestibule_visits";
/// A notice's payload at most (PostgreSQL takes up to 8,000 bytes).
const NOTICE_BYTES: usize = 7_000;
/// Changes taken for one statement at most.
const PER_ROUND: usize = 512;
/// Changes that may wait for their notice; more are dropped (and logged).
const WAITING: usize = 65_536;

/// The sender of changes to notify; its task ends when every sender is gone.
pub fn notifier(pool: &PgPool) -> mpsc::Sender<VisitChange> {
    let (tx, rx) = mpsc::channel(WAITING);
    tokio::spawn(notify(pool.clone(), rx));
    tx
}

async fn notify(pool: PgPool, mut rx: mpsc::Receiver<VisitChange>) {
    let mut waiting = Vec::with_capacity(PER_ROUND);
    while rx.recv_many(&mut waiting, PER_ROUND).await > 0 {
        let sent = sqlx::query("SELECT pg_notify($1, n) FROM unnest($2::text[]) AS n")
            .bind(CHANNEL)
            .bind(notices(&waiting))
            .execute(&pool)
            .await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "visit changes could not be published");
        }
        waiting.clear();
    }
}

/// `changes` as JSON arrays of at most [`NOTICE_BYTES`] each (a change is about 250).
fn notices(changes: &[VisitChange]) -> Vec<String> {
    let mut notices = Vec::new();
    let mut notice = String::from("[");
    for json in changes.iter().filter_map(|c| serde_json::to_string(c).ok()) {
        if notice.len() > 1 && notice.len() + json.len() + 2 > NOTICE_BYTES {
            notice.push(']');
            notices.push(std::mem::replace(&mut notice, String::from("[")));
        }
        if notice.len() > 1 {
            notice.push(',');
        }
        notice.push_str(&json);
    }
    if notice.len() > 1 {
        notice.push(']');
        notices.push(notice);
    }
    notices
}

/// The changes of a notice: an array, or one change (as a replica of an earlier version sends).
fn changes_of(payload: &str) -> Vec<VisitChange> {
    if payload.starts_with('[') {
        serde_json::from_str(payload).unwrap_or_default()
    } else {
        serde_json::from_str(payload).into_iter().collect()
    }
}

/// Relays the channel's notifications to this process's subscribers, reconnecting when the
/// connection drops. Its one connection is made with the app pool's options, outside the pool.
pub async fn relay(
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
                        for change in changes_of(n.payload()) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use vestibule_shared::dto::visits::{VisitEvent, VisitStatus};

    fn change(n: u128) -> VisitChange {
        VisitChange {
            tenant: uuid::Uuid::from_u128(n),
            host: None,
            event: VisitEvent {
                visit_id: uuid::Uuid::from_u128(n),
                site_id: uuid::Uuid::from_u128(n),
                status: VisitStatus::OnSite,
                at: chrono::DateTime::UNIX_EPOCH,
                evacuation_id: None,
            },
        }
    }

    #[test]
    fn notices_stay_under_the_limit_and_keep_every_change_in_order() {
        let changes: Vec<_> = (0..200).map(change).collect();
        let notices = notices(&changes);
        assert!(notices.len() > 1);
        assert!(notices.iter().all(|n| n.len() <= NOTICE_BYTES));
        let back: Vec<_> = notices.iter().flat_map(|n| changes_of(n)).collect();
        let ids = |c: &[VisitChange]| c.iter().map(|c| c.event.visit_id).collect::<Vec<_>>();
        assert_eq!(ids(&back), ids(&changes));
        let one = serde_json::to_string(&changes[7]).unwrap_or_default();
        assert_eq!(ids(&changes_of(&one)), ids(&changes[7..8]));
    }
}
