//! Tenants' wrapped keys and the KEK check: loading (and unwrapping) a tenant's keys when a
//! transaction enters it, creating them with the tenant, and proving at start that the loaded
//! KEK is the one the database was written under.

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Utc};
use vestibule_shared::dto::accounts::Plan;

use super::{Engine, Store, TenantRow, TenantTx, Tx};
use crate::{
    clock::Clock,
    crypto::{Crypto, Kek, Key, KeySource, Purpose, TenantKeys},
    error::Error,
    ids::TenantId,
};

#[derive(sqlx::FromRow)]
struct WrappedKey {
    purpose: String,
    version: i64,
    wrapped_key: Vec<u8>,
    kek_id: String,
}

/// How a transaction holds its tenant's row until it ends (on PostgreSQL; SQLite's one writer
/// is alone anyway).
#[derive(Debug, Clone, Copy)]
pub(super) enum Hold {
    /// Not at all (reads).
    Nothing,
    /// Exclusively: the tenant's other writers and key rotation wait (the dialect's
    /// `key_versions_for_write`).
    Alone,
    /// Shared with other such transactions, exclusive of rotation (check-ins: the dialect's
    /// `key_versions_beside`).
    Beside,
}

/// Enters `tenant` in `tx` (already pointed at it: `Engine::begin_in`, or `Tx::set_tenant`):
/// reads its key versions (holding the tenant row as `hold` says) and returns its keys, from the
/// cache while the versions are unchanged.
pub(super) async fn enter_keys(
    tx: &mut Tx,
    crypto: &Crypto,
    tenant: TenantId,
    hold: Hold,
) -> Result<Arc<TenantKeys>, Error> {
    let Some(versions) = versions(tx, tenant, hold).await? else {
        crypto.forget(tenant);
        return Err(Error::NotFound);
    };
    keys_at(tx, crypto, tenant, versions).await
}

/// `tenant`'s keys at `versions` (current, oldest readable), read in `tx`: from the cache while
/// they are the cached ones.
pub(super) async fn keys_at(
    tx: &mut Tx,
    crypto: &Crypto,
    tenant: TenantId,
    versions: (u32, u32),
) -> Result<Arc<TenantKeys>, Error> {
    Ok(match crypto.cached(tenant) {
        Some(k) if (k.current, k.min) == versions => k,
        _ => crypto.remember(
            load(tx, crypto, tenant, versions)
                .await?
                .ok_or(Error::NotFound)?,
        ),
    })
}

/// The tenant's (current, minimum) data-key versions; `None` if the tenant does not exist. The
/// tenant's row is then held as `hold` says until the transaction ends.
pub(super) async fn versions(
    tx: &mut Tx,
    tenant: TenantId,
    hold: Hold,
) -> Result<Option<(u32, u32)>, Error> {
    const SQL: &str = "SELECT key_version, min_decryption_version FROM tenants WHERE id = $1";
    let sql = match hold {
        Hold::Nothing => SQL,
        Hold::Alone => tx.dialect().key_versions_for_write(),
        Hold::Beside => tx.dialect().key_versions_beside(),
    };
    let row: Option<(i64, i64)> = tx.fetch_optional(sql, (tenant.0,)).await?;
    Ok(row.map(|(current, min)| (current as u32, min as u32)))
}

/// Reads and unwraps `tenant`'s keys inside `tx` (which has entered the tenant). `None` if the
/// tenant has no keys (it was crypto-shredded).
pub(super) async fn load(
    tx: &mut Tx,
    crypto: &Crypto,
    tenant: TenantId,
    versions: (u32, u32),
) -> Result<Option<TenantKeys>, Error> {
    const SQL: &str = "SELECT purpose, version, wrapped_key, kek_id FROM tenant_keys WHERE tenant_id = $1 AND (purpose = 'index' OR version >= $2)";
    let rows: Vec<WrappedKey> = tx.fetch_all(SQL, (tenant.0, i64::from(versions.1))).await?;
    let mut data = HashMap::new();
    let mut index = None;
    for r in rows {
        let purpose = if r.purpose == "index" {
            Purpose::Index
        } else {
            Purpose::Data
        };
        let key = crypto.unwrap(tenant, purpose, r.version as u32, &r.kek_id, &r.wrapped_key)?;
        match purpose {
            Purpose::Index => index = Some(key),
            Purpose::Data => {
                data.insert(r.version as u32, key);
            }
        }
    }
    match index {
        Some(index) if data.contains_key(&versions.0) => {
            Ok(Some(TenantKeys::new(tenant, versions, data, index)))
        }
        _ => Ok(None),
    }
}

/// The KEK the database is written under, as this process knows it (reloaded from the key
/// source if another process rotated it). Read with the dialect's `kek_id_for_wrap`, so a
/// rotation cannot commit between this and the wrap that uses it.
pub(super) async fn database_kek(tx: &mut Tx, crypto: &Crypto) -> Result<Kek, Error> {
    let id: String = tx.scalar(tx.dialect().kek_id_for_wrap(), ()).await?;
    crypto.kek_named(&id)
}

/// Stores `key` wrapped under `kek`, created `at`.
pub(super) async fn insert_key(
    tx: &mut Tx,
    kek: &Kek,
    tenant: TenantId,
    (purpose, version): (Purpose, u32),
    key: &Key,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO tenant_keys (tenant_id, purpose, version, wrapped_key, kek_id, state, created_at) \
                       VALUES ($1, $2, $3, $4, $5, 'active', $6)";
    let wrapped = Crypto::wrap(kek, tenant, purpose, version, key);
    tx.execute(
        SQL,
        (
            tenant.0,
            purpose.as_str(),
            i64::from(version),
            wrapped,
            &kek.id,
            at,
        ),
    )
    .await?;
    Ok(())
}

impl Store {
    /// Creates a tenant with its first data key and its index key; returns a transaction inside
    /// it (commit it to make the tenant exist).
    pub async fn create_tenant(
        &self,
        slug: &str,
        name: &str,
        plan: Plan,
    ) -> Result<(TenantRow, TenantTx), Error> {
        let mut g = self.global(true).await?;
        let kek = database_kek(&mut g.tx, &self.crypto).await?;
        let row = g.insert_tenant(slug, name, plan).await?;
        let at = row.created_at;
        let tenant = TenantId(row.id);
        let mut tx = g.tx;
        tx.set_tenant(tenant).await?;
        let (data, index) = (Key::generate(), Key::generate());
        insert_key(&mut tx, &kek, tenant, (Purpose::Data, 1), &data, at).await?;
        insert_key(&mut tx, &kek, tenant, (Purpose::Index, 0), &index, at).await?;
        let keys = self.crypto.remember(TenantKeys::new(
            tenant,
            (1, 1),
            HashMap::from([(1, data)]),
            index,
        ));
        Ok((
            row,
            TenantTx {
                tx,
                tenant,
                keys,
                clock: self.clock.clone(),
            },
        ))
    }

    /// The id and check value of the KEK the database is written under, if any.
    pub(super) async fn kek_record(engine: &Engine) -> Result<Option<(String, Vec<u8>)>, Error> {
        engine
            .begin(false)
            .await?
            .fetch_optional("SELECT kek_id, check_enc FROM kek_check WHERE id = 1", ())
            .await
    }

    /// Records `kek` as the database's KEK (a fresh database), made `at`.
    async fn record_kek(engine: &Engine, kek: &Kek, at: DateTime<Utc>) -> Result<(), Error> {
        const SQL: &str =
            "INSERT INTO kek_check (id, kek_id, check_enc, created_at) VALUES (1, $1, $2, $3)";
        let mut tx = engine.begin(true).await?;
        tx.execute(SQL, (&kek.id, Crypto::kek_check(kek), at))
            .await?;
        tx.commit().await
    }
}

/// Loads the KEK from `source` and proves it is the database's. A fresh database gets a new KEK
/// (file and keychain sources); a database written before never does: a missing or different KEK
/// is refused. A KEK waiting in the source's next slot that matches the database (a rotation
/// interrupted after its commit) is promoted.
pub(super) async fn kek_for(
    engine: &Engine,
    source: &KeySource,
    clock: &Clock,
) -> Result<Crypto, Error> {
    let record = Store::kek_record(engine).await?;
    let (src, rec) = (source.clone(), record.clone());
    // Keychain calls block on D-Bus.
    let kek = tokio::task::spawn_blocking(move || choose_kek(&src, rec.as_ref()))
        .await
        .map_err(|e| Error::Internal(e.into()))??;
    if record.is_none() {
        Store::record_kek(engine, &kek, clock.now()).await?;
    }
    Ok(Crypto::with_source(kek, source.clone()))
}

fn choose_kek(source: &KeySource, record: Option<&(String, Vec<u8>)>) -> Result<Kek, Error> {
    let current = source.load()?;
    let Some((id, blob)) = record else {
        return match current {
            Some(k) => Ok(k),
            None => source.create(),
        };
    };
    let matches = |k: &Kek| &k.id == id && Crypto::verify_kek_check(k, blob);
    if let Some(k) = current.as_ref().filter(|k| matches(k)) {
        return Ok(k.clone());
    }
    if let Some(k) = source.next().load()?.filter(matches) {
        tracing::info!(kek_id = %k.id, "completing an interrupted master-key rotation");
        if let Some(note) = source.promote_next()? {
            tracing::warn!("{note}");
        }
        return Ok(k);
    }
    Err(Error::Config(match current {
        Some(_) => format!(
            "the master key in {source} is not the one this database was written under (id {id}); refusing to start"
        ),
        None => format!(
            "no master key in {source}, but this database was written under one (id {id}); refusing to start \
             (restore the key, or point the server at it)"
        ),
    }))
}
