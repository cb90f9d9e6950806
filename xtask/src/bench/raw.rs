//! The storage limit: the rows of a check-in (visitor, visit, outbox row, audit entry and the
//! tenant's chain head) written by a bare sqlx loop into the server's own SQLite schema, with the
//! same durability (WAL, `synchronous=FULL`) and batches as large as the server's group commit.
//! No HTTP, TLS, JSON, authentication or encryption: what SQLite alone can take.

use std::time::{Duration, Instant};

use sqlx::{
    Connection, SqliteConnection,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous},
};
use uuid::Uuid;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../server/migrations/sqlite");

/// A check-in's rows as one multi-statement query (one hand-off to sqlx's worker thread), as the
/// server writes them.
const ROWS: &str = "INSERT INTO visitors (tenant_id, id, name_enc, email_enc, email_idx, company_enc, phone_enc, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8);
     INSERT INTO visits (tenant_id, id, site_id, visitor_id, host_id, purpose_enc, status, badge_code, checked_in_at, \
     created_by, kiosk_id, idempotency_key, request_hash) VALUES ($1, $9, $10, $2, $11, $12, 'on_site', $13, $8, 'kiosk', NULL, $14, $15);
     INSERT INTO outbox (tenant_id, id, kind, payload_enc, attempts, next_attempt_at, created_at) \
     VALUES ($1, $16, 'host_notification', $17, 0, $8, $8);
     INSERT INTO audit_log (tenant_id, seq, at, actor, action, target, prev_hash, hash) \
     VALUES ($1, $18, $8, 'kiosk', 'visit.check_in', $19, $20, $21);
     UPDATE tenants SET audit_seq = $18, audit_head = $21 WHERE id = $1";

/// Check-ins' worth of rows written a second, in batches of `batch`, for `secs`.
pub async fn check_in_rows(
    dir: &std::path::Path,
    batch: usize,
    secs: Duration,
) -> anyhow::Result<f64> {
    let options = SqliteConnectOptions::new()
        .filename(dir.join("raw.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true);
    let mut c = SqliteConnection::connect_with(&options).await?;
    MIGRATIONS.run(&mut c).await?;
    let (tenant, site, host) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let at = chrono::Utc::now();
    sqlx::query("INSERT INTO tenants (id, slug, name, plan, audit_head, created_at) VALUES ($1, 'raw', 'Raw', 'business', $2, $3)")
        .bind(tenant)
        .bind(vec![0u8; 32])
        .bind(at)
        .execute(&mut c)
        .await?;
    sqlx::query("INSERT INTO sites (tenant_id, id, name, timezone, created_at) VALUES ($1, $2, 'HQ', 'Europe/Paris', $3)")
        .bind(tenant)
        .bind(site)
        .bind(at)
        .execute(&mut c)
        .await?;
    sqlx::query(
        "INSERT INTO hosts (tenant_id, id, site_id, name_enc, email_enc, email_idx, created_at) VALUES ($1, $2, $3, $4, $4, $5, $6)",
    )
    .bind(tenant)
    .bind(host)
    .bind(site)
    .bind(sealed(40))
    .bind(sealed(16))
    .bind(at)
    .execute(&mut c)
    .await?;
    let started = Instant::now();
    let mut n: i64 = 0;
    while started.elapsed() < secs {
        let mut tx = c.begin().await?;
        for _ in 0..batch {
            n += 1;
            let (visitor, visit, outbox, at) = (
                Uuid::now_v7(),
                Uuid::now_v7(),
                Uuid::now_v7(),
                chrono::Utc::now(),
            );
            sqlx::query(ROWS)
                .bind(tenant)
                .bind(visitor)
                .bind(sealed(53))
                .bind(sealed(57))
                .bind(sealed(16))
                .bind(sealed(56))
                .bind(sealed(57))
                .bind(at)
                .bind(visit)
                .bind(site)
                .bind(host)
                .bind(sealed(50))
                .bind(format!("{n:08}"))
                .bind(format!("raw-{n}"))
                .bind(sealed(32))
                .bind(outbox)
                .bind(sealed(110))
                .bind(n)
                .bind(format!("visit:{visit}"))
                .bind(sealed(32))
                .bind(sealed(32))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    c.close().await?;
    Ok(rate)
}

/// Bytes standing in for a sealed value of `len` bytes.
fn sealed(len: usize) -> Vec<u8> {
    let seed = Uuid::now_v7();
    seed.as_bytes().iter().cycle().take(len).copied().collect()
}
