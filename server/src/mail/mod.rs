//! The mail sender: a task in every server process that claims due outbox rows (a lease, so
//! replicas never share a row), writes each host's email and sends it over TLS, then marks the
//! row sent, or schedules a retry with exponential backoff, or gives up after a bounded time
//! with the reason recorded. A check-in never waits for any of this. Rows are claimed up to 256
//! at a time and handled a tenant at a time: a read transaction writes the tenant's emails, one
//! statement records that they are being sent, up to four connections at once (a TLS handshake
//! and a login each) send them, one statement records those sent. On SQLite, whose one writer
//! the check-ins share, a batch of emails so costs three short write transactions.
//!
//! Never twice: right before the SMTP exchange the row's Message-ID and `sending_at` are
//! committed. A row claimed again with `sending_at` set belongs to a process that died mid-send;
//! whether the SMTP server took the message is unknowable, so it is not sent again and the row
//! records why (with the Message-ID, to look up in the mail server's log). See the README.

pub mod agreement;
mod compose;
mod desk;
mod evacuation;
mod invitation;
mod pass;
mod prepare;
mod smtp;

use std::time::Duration;

use tokio::sync::watch;
use uuid::Uuid;

use vestibule_shared::types::Language;

use crate::{
    error::Error,
    ids::TenantId,
    store::{SmtpAccount, Store},
};
use prepare::{Batch, prepare};

/// How the sender paces itself.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// How often to look for due rows when there were none.
    pub poll: Duration,
    /// The first retry delay; each next one doubles, up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// A notification still unsent this long after it was written is given up on.
    pub give_up: Duration,
    /// How long a claim lasts (longer than one send can take).
    pub lease: Duration,
    /// The whole SMTP exchange of one message.
    pub send_timeout: Duration,
    /// The server's address as people reach it (`https://…`, no trailing slash): the links in
    /// visitors' emails point there.
    pub public_url: String,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(1),
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(30 * 60),
            give_up: Duration::from_secs(24 * 60 * 60),
            lease: Duration::from_secs(120),
            send_timeout: Duration::from_secs(60),
            public_url: "https://localhost:8443".into(),
        }
    }
}

/// Rows claimed per round.
const CLAIM_BATCH: i64 = 256;

/// The most connections one tenant's batch is sent over at once, and how many messages make it
/// worth another (each costs a TLS handshake and a login).
const CONNECTIONS: usize = 4;
const PER_CONNECTION: usize = 8;

/// Runs the sender until `stop` turns true; finishes the message in hand first, then gives back
/// the leases of the rows it claimed but did not start.
pub async fn run(store: Store, settings: MailSettings, mut stop: watch::Receiver<bool>) {
    let owner = format!("{}:{}", std::process::id(), Uuid::now_v7());
    while !*stop.borrow() {
        let claimed = match claim(&store, &owner, &settings).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "claiming outbox rows failed");
                Vec::new()
            }
        };
        for (tenant, ids) in by_tenant(&claimed) {
            if *stop.borrow() {
                break;
            }
            if let Err(e) = deliver(&store, &settings, &owner, tenant, &ids, &stop).await {
                tracing::warn!(error = %e, rows = ids.len(), "notifications could not be processed");
            }
        }
        if claimed.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(settings.poll) => {}
                _ = stop.changed() => {}
            }
        }
    }
    match release(&store, &owner).await {
        Ok(n) => tracing::info!(released = n, "mail sender stopped"),
        Err(e) => {
            tracing::warn!(error = %e, "giving back the outbox leases failed; they run out by themselves")
        }
    }
}

/// The claimed rows grouped by tenant, in the order of the claim.
fn by_tenant(claimed: &[(TenantId, Uuid)]) -> Vec<(TenantId, Vec<Uuid>)> {
    let mut groups: Vec<(TenantId, Vec<Uuid>)> = Vec::new();
    for &(tenant, id) in claimed {
        match groups.iter_mut().find(|(t, _)| *t == tenant) {
            Some((_, ids)) => ids.push(id),
            None => groups.push((tenant, vec![id])),
        }
    }
    groups
}

/// Gives back the claims not yet being sent, so another process sends them without waiting for
/// the leases to run out.
async fn release(store: &Store, owner: &str) -> Result<u64, Error> {
    let mut g = store.global(true).await?;
    let n = g.release_outbox(owner).await?;
    g.commit().await?;
    Ok(n)
}

async fn claim(
    store: &Store,
    owner: &str,
    s: &MailSettings,
) -> Result<Vec<(TenantId, Uuid)>, Error> {
    let lease = chrono::Duration::from_std(s.lease).map_err(|e| Error::Internal(e.into()))?;
    let mut g = store.global(true).await?;
    let claimed = g.claim_outbox(owner, lease, CLAIM_BATCH).await?;
    g.commit().await?;
    Ok(claimed)
}

/// Delivers one tenant's claimed rows `ids`: a read transaction writes their emails (holding up
/// no writer), one statement records that they are being sent, up to [`CONNECTIONS`] connections
/// send them, one statement records the ones sent (the others one by one).
/// If `stop` turns true on the way, the rows not yet sent are given back untouched.
async fn deliver(
    store: &Store,
    s: &MailSettings,
    owner: &str,
    tenant: TenantId,
    ids: &[Uuid],
    stop: &watch::Receiver<bool>,
) -> Result<(), Error> {
    let mut tx = store.read(tenant).await?;
    let mut batch = Batch::new(tx.smtp().await?, tx.settings().await?, s.public_url.clone());
    let mut ready = Vec::new();
    let mut given_up = Vec::new();
    for item in tx.outbox_items(ids, owner).await? {
        if item.sending_at.is_some() {
            let reason = format!(
                "interrupted while being sent (Message-ID {}); not sent again, so it cannot arrive twice",
                item.message_id.as_deref().unwrap_or("unknown")
            );
            given_up.push((item.id, reason));
            continue;
        }
        match prepare(&mut tx, &item, &mut batch).await? {
            Ok(out) => ready.push((item, out)),
            Err(reason) => given_up.push((item.id, reason)),
        }
    }
    tx.commit().await?;

    let mut tx = store.write_beside(tenant).await?;
    for (id, reason) in &given_up {
        tx.outbox_failed(*id, reason).await?;
    }
    crate::metrics::mail_attempts("failed", given_up.len() as u64);
    let sending: Vec<_> = ready
        .iter()
        .map(|(item, out)| (item.id, out.message_id.clone()))
        .collect();
    let marked = tx.outbox_sending(&sending, owner).await?;
    tx.commit().await?;
    ready.retain(|(item, _)| marked.contains(&item.id));
    let Some(account) = batch.account.filter(|_| !ready.is_empty()) else {
        return Ok(());
    };

    // Several connections at once: each message waits for the server's answers at every step of
    // its exchange, and one connection would leave the machine idle meanwhile.
    let lanes = ready.len().div_ceil(PER_CONNECTION).clamp(1, CONNECTIONS);
    let mut split: Vec<Vec<_>> = (0..lanes).map(|_| Vec::new()).collect();
    for (i, one) in ready.into_iter().enumerate() {
        split[i % lanes].push(one);
    }
    let sends = split.into_iter().map(|lane| async {
        let mut session = smtp::Session::new(&account, s.send_timeout);
        let mut outcomes = Vec::with_capacity(lane.len());
        for (item, out) in lane {
            let outcome = if *stop.borrow() {
                None
            } else {
                Some(session.send(out.message).await)
            };
            outcomes.push((item, outcome));
        }
        session.close().await;
        outcomes
    });
    let outcomes: Vec<_> = futures::future::join_all(sends)
        .await
        .into_iter()
        .flatten()
        .collect();
    drop(account);
    let mut tx = store.write_beside(tenant).await?;
    let mut sent = Vec::new();
    for (item, outcome) in outcomes {
        let id = item.id;
        match outcome {
            None => tx.outbox_unsend(id).await?,
            Some(Ok(())) => sent.push(id),
            Some(Err(e)) => {
                let age = (tx.now() - item.created_at).to_std().unwrap_or_default();
                let delay = backoff(s, item.attempts);
                if e.permanent || age + delay > s.give_up {
                    tx.outbox_failed(id, &e.reason).await?;
                    crate::metrics::mail_attempts("failed", 1);
                    tracing::warn!(outbox = %id, reason = %e.reason, "gave up on a notification");
                } else {
                    let next = tx.now()
                        + chrono::Duration::from_std(delay)
                            .map_err(|e| Error::Internal(e.into()))?;
                    tx.outbox_retry(id, next, &e.reason).await?;
                    crate::metrics::mail_attempts("retry", 1);
                    tracing::info!(outbox = %id, reason = %e.reason, retry_in = ?delay, "notification deferred");
                }
            }
        }
    }
    tx.outbox_sent(&sent).await?;
    tx.commit().await?;
    crate::metrics::mail_attempts("sent", sent.len() as u64);
    if !sent.is_empty() {
        tracing::info!(sent = sent.len(), "hosts notified");
    }
    Ok(())
}

/// Sends a test email through `account` to `to` (the admin asking), now, and says what happened:
/// `Err` carries the reason (the SMTP server's or rustls' words, never the message).
pub async fn send_test(
    account: &SmtpAccount,
    to: &str,
    lang: Language,
    timeout: Duration,
) -> Result<(), String> {
    let content = compose::test_message(lang);
    let message_id = prepare::message_id(account, format_args!("test-{}", crate::ids::new_id()));
    let message = smtp::message(account, &[to], &message_id, content).map_err(|e| e.reason)?;
    let mut session = smtp::Session::new(account, timeout);
    let sent = session.send(message).await.map_err(|e| e.reason);
    session.close().await;
    sent
}

/// `retry_base × 2^attempts`, at most `retry_max`.
fn backoff(s: &MailSettings, attempts: i64) -> Duration {
    let factor = 2u32.saturating_pow(attempts.clamp(0, 20) as u32);
    s.retry_base.saturating_mul(factor).min(s.retry_max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = MailSettings {
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(600),
            ..MailSettings::default()
        };
        let got: Vec<u64> = (0..7).map(|a| backoff(&s, a).as_secs()).collect();
        assert_eq!(got, [30, 60, 120, 240, 480, 600, 600]);
    }
}
