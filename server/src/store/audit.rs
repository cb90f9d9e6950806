//! The audit log: an append-only hash chain per tenant. Each entry's hash covers the previous
//! hash, its sequence number, tenant, time, actor, action and target, so an edited, removed or
//! reordered entry breaks every hash after it. The chain head (seq and hash) lives on the tenant
//! row and is read with a row lock (the dialect's `audit_head_for_write`), so concurrent writers
//! (even on several replicas) queue on it instead of forking the chain. Check-ins append theirs
//! without waiting: in SQLite's group commit (`commit.rs`, the chain advancing in memory within a
//! batch) or, on PostgreSQL, through `audit_pending` and the sealer (`seal.rs`). Entries hold ids
//! only, never personal data.

use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::query::{built_once, renumber};
use super::{TenantTx, Tx};
use crate::error::Error;

/// Who did something.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    Operator(Uuid),
    User(Uuid),
    Kiosk(Uuid),
    /// A receptionist acting through a kiosk's override mode.
    Override {
        user: Uuid,
        kiosk: Uuid,
    },
    /// The `vestibule-server` command line (key management).
    Cli,
    /// A visitor, through a link emailed to them (revoking their own pass).
    Visitor,
    /// The server's own scheduled work (the daily automatic sign-out).
    System,
    /// A host, through the approval link emailed to them.
    HostLink,
    /// Another system, with one of the tenant's API keys.
    ApiKey(Uuid),
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Operator(id) => write!(f, "operator:{id}"),
            Actor::User(id) => write!(f, "user:{id}"),
            Actor::Kiosk(id) => write!(f, "kiosk:{id}"),
            Actor::Override { user, kiosk } => write!(f, "user:{user}@kiosk:{kiosk}"),
            Actor::Cli => write!(f, "cli"),
            Actor::Visitor => write!(f, "visitor"),
            Actor::System => write!(f, "system"),
            Actor::HostLink => write!(f, "host-link"),
            Actor::ApiKey(id) => write!(f, "api_key:{id}"),
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

fn entry_hash(
    tenant: Uuid,
    prev: &[u8],
    seq: i64,
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    target: &str,
) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"vestibule-audit-v1");
    h.update(tenant.as_bytes());
    h.update(prev);
    h.update(seq.to_be_bytes());
    for part in [
        at.to_rfc3339_opts(SecondsFormat::Micros, true).as_str(),
        actor,
        action,
        target,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().to_vec()
}

/// The entry that follows `head` (the chain's seq and hash), hashed.
pub(super) struct NextEntry {
    pub seq: i64,
    pub target: String,
    pub prev: Vec<u8>,
    pub hash: Vec<u8>,
}

pub(super) fn next_entry(
    tenant: Uuid,
    head: (i64, Vec<u8>),
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    target: impl std::fmt::Display,
) -> NextEntry {
    let (seq, prev, target) = (head.0 + 1, head.1, target.to_string());
    let hash = entry_hash(tenant, &prev, seq, at, actor, action, &target);
    NextEntry {
        seq,
        target,
        prev,
        hash,
    }
}

/// Entries written by one statement.
const CHUNK: usize = 64;

/// One statement appending `n` chained entries.
fn entries_sql(n: usize) -> &'static str {
    const ROW: &str = "($1, $2, $3, $4, $5, $6, $7, $8)";
    built_once("audit entries", n, || {
        let rows: Vec<String> = (0..n).map(|i| renumber(ROW, 8 * i)).collect();
        format!(
            "INSERT INTO audit_log (tenant_id, seq, at, actor, action, target, prev_hash, hash) VALUES {}",
            rows.join(", ")
        )
    })
}

/// An entry to append: when, who, what, about what.
pub(super) struct Entry<'a> {
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
}

/// Appends `entries` to `tenant`'s chain after `head` (its seq and hash, read in `tx` with the
/// tenant row locked), [`CHUNK`] to a statement, and moves the head past them.
pub(super) async fn append(
    tx: &mut Tx,
    tenant: Uuid,
    mut head: (i64, Vec<u8>),
    entries: impl IntoIterator<Item = Entry<'_>>,
) -> Result<(), Error> {
    let entries: Vec<Entry<'_>> = entries.into_iter().collect();
    for chunk in entries.chunks(CHUNK) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|e| {
                let n = next_entry(tenant, head.clone(), e.at, e.actor, e.action, e.target);
                head = (n.seq, n.hash.clone());
                let (actor, action) = (e.actor.to_owned(), e.action.to_owned());
                (tenant, n.seq, e.at, actor, action, n.target, n.prev, n.hash)
            })
            .collect();
        tx.execute(entries_sql(chunk.len()), rows).await?;
    }
    const MOVE_HEAD: &str = "UPDATE tenants SET audit_seq = $2, audit_head = $3 WHERE id = $1";
    tx.execute(MOVE_HEAD, (tenant, head.0, head.1)).await?;
    Ok(())
}

/// The outcome of [`TenantTx::verify_audit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainCheck {
    pub entries: i64,
    pub broken_at: Option<i64>,
}

impl TenantTx {
    /// Appends one entry to this tenant's chain.
    pub async fn audit(
        &mut self,
        actor: Actor,
        action: &str,
        target: impl std::fmt::Display,
    ) -> Result<(), Error> {
        self.audit_all(actor, action, &[target.to_string()]).await
    }

    /// Appends one entry per target, all `actor` doing `action`: the head read once (with the
    /// tenant row locked: a write transaction holds it on both engines), the entries written
    /// [`CHUNK`] to a statement, the head moved once.
    pub(super) async fn audit_all(
        &mut self,
        actor: Actor,
        action: &str,
        targets: &[String],
    ) -> Result<(), Error> {
        if targets.is_empty() {
            return Ok(());
        }
        let head: (i64, Vec<u8>) = self
            .fetch_one(self.tx.dialect().audit_head_for_write(), ())
            .await?;
        let (at, actor) = (self.now(), actor.to_string());
        let entries = targets.iter().map(|target| Entry {
            at,
            actor: &actor,
            action,
            target,
        });
        append(&mut self.tx, self.tenant.0, head, entries).await
    }

    /// A page of the chain, newest first.
    pub async fn audit_entries(
        &mut self,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<AuditRow>, i64), Error> {
        const PAGE: &str = "SELECT seq, at, actor, action, target, prev_hash, hash FROM audit_log WHERE tenant_id = $1 ORDER BY seq DESC LIMIT $2 OFFSET $3";
        let rows = self.fetch_all(PAGE, (limit, offset)).await?;
        let total = self
            .scalar("SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1", ())
            .await?;
        Ok((rows, total))
    }

    /// The entries about one target (`visit:<id>`, say), oldest first.
    pub async fn audit_of(&mut self, target: &str) -> Result<Vec<AuditRow>, Error> {
        const SQL: &str = "SELECT seq, at, actor, action, target, prev_hash, hash FROM audit_log \
                           WHERE tenant_id = $1 AND target = $2 ORDER BY seq LIMIT 1000";
        self.fetch_all(SQL, (target,)).await
    }

    /// Re-computes the whole chain from the genesis hash and compares it with the stored head.
    pub async fn verify_audit(&mut self) -> Result<ChainCheck, Error> {
        const CHAIN: &str = "SELECT seq, at, actor, action, target, prev_hash, hash FROM audit_log WHERE tenant_id = $1 ORDER BY seq";
        let t = self.tenant.0;
        let rows: Vec<AuditRow> = self.fetch_all(CHAIN, ()).await?;
        let head: (i64, Vec<u8>) = self
            .fetch_one(
                "SELECT audit_seq, audit_head FROM tenants WHERE id = $1",
                (),
            )
            .await?;
        let mut prev = vec![0u8; 32];
        for (i, r) in rows.iter().enumerate() {
            let expected = entry_hash(t, &prev, r.seq, r.at, &r.actor, &r.action, &r.target);
            if r.seq != i as i64 + 1 || r.prev_hash != prev || r.hash != expected {
                return Ok(ChainCheck {
                    entries: rows.len() as i64,
                    broken_at: Some(r.seq),
                });
            }
            prev = expected;
        }
        let entries = rows.len() as i64;
        let broken_at = (head.0 != entries || head.1 != prev).then_some(entries + 1);
        Ok(ChainCheck { entries, broken_at })
    }
}
