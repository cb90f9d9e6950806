//! Key management on a live database: per-tenant key status, data-key rotation (a new version for
//! new writes, then old rows re-sealed in small batches that any number of runs can resume, and
//! the old key destroyed only once no value uses it), KEK rotation (every wrapped key rewrapped in
//! one transaction), and crypto-shredding of a deleted tenant (its keys destroyed first).

use std::collections::BTreeMap;

use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use super::{
    Actor, Store, TenantTx,
    keys::{self, Hold, insert_key},
    on_tx,
    sealed::SEALED_TABLES,
};
use crate::{
    crypto::{Crypto, Kek, Key, Purpose, TenantKeys},
    error::Error,
    ids::TenantId,
};

/// Tenant tables in an order that deletes children before parents.
const TENANT_TABLES: &[&str] = &[
    "badge_misses",
    "invites",
    "sessions",
    "enrollment_codes",
    "visits",
    "outbox",
    "visitors",
    "kiosks",
    "hosts",
    "users",
    "sites",
    "audit_log",
    "api_keys",
    "integrations",
    "tenant_keys",
];

/// One tenant's keys and how many sealed values each data-key version protects.
#[derive(Debug, Clone)]
pub struct KeyStatus {
    pub tenant: TenantId,
    pub slug: String,
    /// The version new writes use.
    pub current: u32,
    /// The oldest version still held.
    pub min_decryption: u32,
    /// Sealed values per key version.
    pub values: BTreeMap<u32, u64>,
    /// The KEK the tenant's keys are wrapped under.
    pub kek_id: String,
}

/// Where a re-encryption run is: a table of [`SEALED_TABLES`] and the last row id it did.
#[derive(Debug, Clone, Copy, Default)]
pub struct RekeyCursor {
    pub table: usize,
    pub after: Uuid,
}

impl RekeyCursor {
    pub fn done(&self) -> bool {
        self.table >= SEALED_TABLES.len()
    }
}

/// What one re-encryption batch did.
#[derive(Debug, Clone, Copy)]
pub struct Batch {
    pub scanned: u64,
    pub resealed: u64,
}

impl Store {
    /// Every tenant's id and slug.
    pub async fn tenant_ids(&self) -> Result<Vec<(TenantId, String)>, Error> {
        let mut g = self.global(false).await?;
        let rows: Vec<(Uuid, String)> =
            g.tx.fetch_all("SELECT id, slug FROM tenants ORDER BY slug", ())
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, slug)| (TenantId(id), slug))
            .collect())
    }

    /// Key versions and sealed-value counts of every tenant.
    /// How many companies have a data key rotation started and not finished (for the metrics).
    pub async fn tenants_mid_rotation(&self) -> Result<i64, Error> {
        let mut g = self.global(false).await?;
        let sql = g.tx.dialect().tenants_mid_rotation();
        let n = g.tx.scalar(sql, ()).await?;
        g.commit().await?;
        Ok(n)
    }

    pub async fn key_status(&self) -> Result<Vec<KeyStatus>, Error> {
        let mut out = Vec::new();
        for (tenant, slug) in self.tenant_ids().await? {
            let mut tx = match self.read(tenant).await {
                Ok(tx) => tx,
                Err(Error::NotFound) => continue,
                Err(e) => return Err(e),
            };
            let mut values = BTreeMap::new();
            for (table, fields) in SEALED_TABLES {
                for f in *fields {
                    let sql = format!(
                        "SELECT substr({c}, 2, 4) AS v, COUNT(*) AS n FROM {table} WHERE tenant_id = $1 AND {c} IS NOT NULL GROUP BY substr({c}, 2, 4)",
                        c = f.column
                    );
                    let rows: Vec<(Vec<u8>, i64)> = tx.fetch_all(AssertSqlSafe(sql), ()).await?;
                    for (v, n) in rows {
                        let version =
                            <[u8; 4]>::try_from(v.as_slice()).map_or(0, u32::from_be_bytes);
                        *values.entry(version).or_default() += n as u64;
                    }
                }
            }
            let kek_id = tx
                .scalar(
                    "SELECT kek_id FROM tenant_keys WHERE tenant_id = $1 AND purpose = 'index'",
                    (),
                )
                .await?;
            out.push(KeyStatus {
                tenant,
                slug,
                current: tx.keys.current,
                min_decryption: tx.keys.min,
                values,
                kek_id,
            });
        }
        Ok(out)
    }

    /// Starts a data-key rotation of `tenant`: a new key version that every process writes under
    /// from the commit on. If an earlier rotation has not finished, resumes that one instead.
    /// Returns the version old rows are to be moved to, and whether it is new.
    pub async fn start_dek_rotation(&self, tenant: TenantId) -> Result<(u32, bool), Error> {
        let mut tx = self.write(tenant).await?;
        let (current, min) = (tx.keys.current, tx.keys.min);
        if current > min {
            return Ok((current, false));
        }
        let kek = keys::database_kek(&mut tx.tx, &self.crypto).await?;
        let next = current + 1;
        let at = tx.now();
        insert_key(
            &mut tx.tx,
            &kek,
            tenant,
            (Purpose::Data, next),
            &Key::generate(),
            at,
        )
        .await?;
        tx.execute(
            "UPDATE tenants SET key_version = $2 WHERE id = $1",
            (i64::from(next),),
        )
        .await?;
        tx.audit(
            Actor::Cli,
            "keys.rotate_dek.start",
            format!("key_version:{next}"),
        )
        .await?;
        tx.commit().await?;
        Ok((next, true))
    }

    /// How many rows of `tenant`'s sealed tables a re-encryption run walks.
    pub async fn sealed_rows(&self, tenant: TenantId) -> Result<u64, Error> {
        let mut tx = self.read(tenant).await?;
        let mut total = 0;
        for (table, _) in SEALED_TABLES {
            let sql = format!("SELECT COUNT(*) FROM {table} WHERE tenant_id = $1");
            let n: i64 = tx.scalar(AssertSqlSafe(sql), ()).await?;
            total += n as u64;
        }
        Ok(total)
    }

    /// Re-seals under the current key the values of up to `limit` rows after `cursor` that an
    /// older key sealed, in one short transaction, and moves the cursor on.
    pub async fn reencrypt_batch(
        &self,
        tenant: TenantId,
        cursor: &mut RekeyCursor,
        limit: u32,
    ) -> Result<Batch, Error> {
        let mut tx = self.write(tenant).await?;
        let keys = tx.keys.clone();
        let (table, fields) = SEALED_TABLES[cursor.table];
        let columns: Vec<&str> = fields.iter().map(|f| f.column).collect();
        let select = format!(
            "SELECT id, {} FROM {table} WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            columns.join(", ")
        );
        let assignments: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = ${}", i + 3))
            .collect();
        let update = format!(
            "UPDATE {table} SET {} WHERE tenant_id = $1 AND id = $2",
            assignments.join(", ")
        );
        let rows: Vec<(Uuid, Vec<Option<Vec<u8>>>)> = on_tx!(&mut tx.tx, |c| {
            let rows = sqlx::query(AssertSqlSafe(select))
                .bind(tenant.0)
                .bind(cursor.after)
                .bind(i64::from(limit))
                .fetch_all(c)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get::<Uuid, _>(0)?,
                        (1..=columns.len())
                            .map(|i| r.try_get(i))
                            .collect::<Result<Vec<_>, _>>()?,
                    ))
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
        })?;
        let mut resealed = 0;
        for (id, values) in &rows {
            let mut changed = false;
            let mut new_values = Vec::with_capacity(values.len());
            for (field, value) in fields.iter().zip(values) {
                new_values.push(match value {
                    Some(sealed)
                        if TenantKeys::version_of(sealed).is_some_and(|v| v < keys.current) =>
                    {
                        changed = true;
                        let plain = keys.open_bytes(*field, *id, sealed)?;
                        Some(keys.seal_bytes(*field, *id, &plain))
                    }
                    other => other.clone(),
                });
            }
            if changed {
                on_tx!(&mut tx.tx, |c| {
                    let mut q = sqlx::query(AssertSqlSafe(update.clone()))
                        .bind(tenant.0)
                        .bind(*id);
                    for v in &new_values {
                        q = q.bind(v.as_deref());
                    }
                    q.execute(c).await.map(|r| r.rows_affected())
                })?;
                resealed += 1;
            }
        }
        tx.commit().await?;
        match rows.last() {
            Some((last, _)) if rows.len() as u32 == limit => cursor.after = *last,
            _ => {
                *cursor = RekeyCursor {
                    table: cursor.table + 1,
                    after: Uuid::nil(),
                }
            }
        }
        Ok(Batch {
            scanned: rows.len() as u64,
            resealed,
        })
    }

    /// Ends a data-key rotation of `tenant` if no value is sealed under an older key any more:
    /// raises `min_decryption_version` and destroys the older keys. Returns how many values still
    /// use an older key (0: finished).
    pub async fn finish_dek_rotation(&self, tenant: TenantId) -> Result<u64, Error> {
        let mut tx = self.write(tenant).await?;
        let current = tx.keys.current;
        let older = values_below(&mut tx, current).await?;
        if older > 0 || tx.keys.min == current {
            return Ok(older);
        }
        tx.execute(
            "UPDATE tenants SET min_decryption_version = key_version WHERE id = $1",
            (),
        )
        .await?;
        tx.execute(
            "DELETE FROM tenant_keys WHERE tenant_id = $1 AND purpose = 'data' AND version < $2",
            (i64::from(current),),
        )
        .await?;
        tx.audit(
            Actor::Cli,
            "keys.rotate_dek.finish",
            format!("key_version:{current}"),
        )
        .await?;
        tx.commit().await?;
        self.scrub().await?;
        Ok(0)
    }

    /// Rewraps every tenant's keys under `new` and records it as the database's KEK, in one
    /// transaction. Returns how many keys were rewrapped.
    pub async fn rotate_kek(&self, new: &Kek) -> Result<usize, Error> {
        let mut g = self.global(true).await?;
        let old_id: String =
            g.tx.scalar(g.tx.dialect().kek_id_for_rotation(), ())
                .await?;
        if old_id == new.id {
            return Err(Error::Config(
                "the new master key is the current one".into(),
            ));
        }
        const KEYS: &str =
            "SELECT purpose, version, wrapped_key, kek_id FROM tenant_keys WHERE tenant_id = $1";
        const REWRAP: &str = "UPDATE tenant_keys SET wrapped_key = $4, kek_id = $5 WHERE tenant_id = $1 AND purpose = $2 AND version = $3";
        let tenants: Vec<(Uuid,)> = g.tx.fetch_all("SELECT id FROM tenants", ()).await?;
        let mut rewrapped = 0;
        for (t,) in tenants {
            let tenant = TenantId(t);
            g.tx.set_tenant(tenant).await?;
            let rows: Vec<(String, i64, Vec<u8>, String)> = g.tx.fetch_all(KEYS, (t,)).await?;
            for (purpose_name, version, wrapped, kek_id) in rows {
                let purpose = if purpose_name == "index" {
                    Purpose::Index
                } else {
                    Purpose::Data
                };
                let key = self
                    .crypto
                    .unwrap(tenant, purpose, version as u32, &kek_id, &wrapped)?;
                let rewrapped_key = Crypto::wrap(new, tenant, purpose, version as u32, &key);
                g.tx.execute(REWRAP, (t, &purpose_name, version, rewrapped_key, &new.id))
                    .await?;
                rewrapped += 1;
            }
        }
        let (check, at) = (Crypto::kek_check(new), g.now());
        g.tx.execute(
            "UPDATE kek_check SET kek_id = $1, check_enc = $2, created_at = $3 WHERE id = 1",
            (&new.id, check, at),
        )
        .await?;
        g.commit().await?;
        self.crypto.set_kek(new.clone());
        self.scrub().await?;
        Ok(rewrapped)
    }

    /// Deletes a tenant: first destroys its keys (committed on its own, so that from then on its
    /// data is unreadable wherever it lies), then removes its rows. Returns false if there is no
    /// such tenant. Safe to run again if it stopped half-way.
    pub async fn delete_tenant(&self, id: Uuid) -> Result<bool, Error> {
        let tenant = TenantId(id);
        let mut g = self.global(true).await?;
        g.tx.set_tenant(tenant).await?;
        if keys::versions(&mut g.tx, tenant, Hold::Alone)
            .await?
            .is_none()
        {
            return Ok(false);
        }
        // Version 0 names no key: every process's cached keys of this tenant stop being used.
        g.tx.execute(
            "UPDATE tenants SET key_version = 0, min_decryption_version = 0 WHERE id = $1",
            (id,),
        )
        .await?;
        g.tx.execute("DELETE FROM tenant_keys WHERE tenant_id = $1", (id,))
            .await?;
        g.commit().await?;
        self.crypto.forget(tenant);
        self.scrub().await?;

        let mut g = self.global(true).await?;
        g.tx.set_tenant(tenant).await?;
        for table in TENANT_TABLES {
            g.tx.execute(
                AssertSqlSafe(format!("DELETE FROM {table} WHERE tenant_id = $1")),
                (id,),
            )
            .await?;
        }
        g.tx.execute("DELETE FROM tenants WHERE id = $1", (id,))
            .await?;
        g.commit().await?;
        self.scrub().await?;
        Ok(true)
    }

    /// Makes sure destroyed keys and removed rows do not linger in the engine's files (on
    /// SQLite the file is rewritten and the write-ahead log emptied: `checkpoint::scrub`).
    pub async fn scrub(&self) -> Result<(), Error> {
        self.engine.scrub().await
    }
}

/// How many of this tenant's values are sealed under a key older than `version`.
async fn values_below(tx: &mut TenantTx, version: u32) -> Result<u64, Error> {
    let mut total = 0;
    let bound = version.to_be_bytes().to_vec();
    for (table, fields) in SEALED_TABLES {
        for f in *fields {
            let sql = format!(
                "SELECT COUNT(*) FROM {table} WHERE tenant_id = $1 AND substr({c}, 2, 4) < $2",
                c = f.column
            );
            let n: i64 = tx.scalar(AssertSqlSafe(sql), (&bound,)).await?;
            total += n as u64;
        }
    }
    Ok(total)
}
