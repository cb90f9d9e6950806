//! SQLite's live kiosks in memory: every kiosk request looks its device token up, and on SQLite
//! that lookup was two hand-offs to a reader connection's thread and back (the statement, then
//! the ping sqlx makes as the connection goes back to its pool), the most a check-in cost beside
//! its share of a batch. One server process owns a SQLite database, so it can see every change
//! to `kiosks`: SQLite's update hook on the writer connection (the only connection that writes)
//! notes the rows changed, whatever statement changed it (revocation, enrollment, a tenant
//! deleted with its kiosks), and the writer transaction that changed them makes the cache forget
//! them once its `COMMIT` has returned, before its caller goes on (so a revocation answered is in
//! force).
//!
//! The hook names the rows by `rowid`; the cache forgets those (a kiosk's `last_seen_at`, written
//! once a minute, forgets that kiosk only). A lookup that misses reads the database and keeps the
//! row only if no change settled in the meantime (the generation it saw is still current, checked
//! under the same lock that forgets): a read that raced a change is answered but never kept.
//! PostgreSQL serves many replicas, none of which sees the others' writes: it has no cache.

use std::{
    collections::HashMap,
    mem,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use super::{
    Engine,
    dialect::{Dialect, Sqlite},
    kiosks::KioskRow,
};
use crate::{error::Error, ids::TenantId};

/// The most kiosks kept; past it the cache starts again empty (a bound, not an eviction policy:
/// a server has far fewer live kiosks).
const MOST: usize = 65_536;

type Key = (TenantId, Vec<u8>);

#[derive(sqlx::FromRow)]
struct Found {
    rowid: i64,
    #[sqlx(flatten)]
    row: KioskRow,
}

/// The cache, and the `kiosks` rows the writer's current transaction changed.
#[derive(Debug, Default)]
pub struct KioskCache {
    touched: Mutex<Vec<i64>>,
    rows: Mutex<Rows>,
}

#[derive(Debug, Default)]
struct Rows {
    generation: u64,
    by_token: HashMap<Key, KioskRow>,
    by_rowid: HashMap<i64, Key>,
}

impl KioskCache {
    /// The live kiosk of `tenant` with this token hash, from memory or else from `engine`'s
    /// readers.
    pub(super) async fn kiosk(
        &self,
        engine: &Engine,
        tenant: TenantId,
        token_hash: &[u8],
    ) -> Result<Option<KioskRow>, Error> {
        let key = (tenant, token_hash.to_vec());
        let generation = {
            let rows = lock(&self.rows);
            if let Some(row) = rows.by_token.get(&key) {
                return Ok(Some(row.clone()));
            }
            rows.generation
        };
        // SQLite's lookup also reads the row's `rowid`, what the update hook names.
        let found: Option<Found> = engine
            .read_one(tenant, Sqlite.kiosk_by_token(), (token_hash,))
            .await?;
        let Some(Found { rowid, row }) = found else {
            return Ok(None);
        };
        let mut rows = lock(&self.rows);
        // A change settled since the read began: answer with the row, keep nothing.
        if rows.generation == generation {
            if rows.by_token.len() >= MOST {
                rows.by_token.clear();
                rows.by_rowid.clear();
            }
            rows.by_token.insert(key.clone(), row.clone());
            rows.by_rowid.insert(rowid, key);
        }
        Ok(Some(row))
    }

    /// After SQLite's `VACUUM`, which may number a table's rows anew (`kiosks` has no `INTEGER
    /// PRIMARY KEY`): every row is forgotten, and nothing read before is kept.
    pub(super) fn forget_all(&self) {
        let mut rows = lock(&self.rows);
        rows.generation += 1;
        rows.by_token.clear();
        rows.by_rowid.clear();
    }

    /// The writer's update hook: a row of `table` was inserted, updated or deleted.
    fn changed(&self, table: &str, rowid: i64) {
        if table == "kiosks" {
            lock(&self.touched).push(rowid);
        }
    }

    /// The `kiosks` rows the writer's transaction changed, clearing the list: taken before its
    /// `COMMIT`, while the writer (SQLite's only one) is still held.
    pub(super) fn take_touched(&self) -> Vec<i64> {
        mem::take(&mut *lock(&self.touched))
    }

    /// After a `COMMIT` that changed the `rowids`: they are forgotten, and nothing read before
    /// it is kept.
    pub(super) fn settle(&self, rowids: &[i64]) {
        if rowids.is_empty() {
            return;
        }
        let mut rows = lock(&self.rows);
        rows.generation += 1;
        for rowid in rowids {
            if let Some(key) = rows.by_rowid.remove(rowid) {
                rows.by_token.remove(&key);
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Installs the update hook on a writer connection as it opens.
pub(super) async fn watch(
    conn: &mut sqlx::SqliteConnection,
    cache: Arc<KioskCache>,
) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    handle.set_update_hook(move |change| cache.changed(change.table, change.rowid));
    Ok(())
}
