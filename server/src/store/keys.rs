//! Tenants' wrapped keys and the KEK check: loading (and unwrapping) a tenant's keys when a
//! transaction enters it, creating them with the tenant, and proving at start that the loaded
//! KEK is the one the database was written under.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use vestibule_shared::dto::accounts::Plan;

use super::{Engine, GlobalTx, Store, TenantId, TenantRow, TenantTx, Tx, now, on_tx};
use crate::{
    crypto::{Crypto, Key, KeySource, Purpose, TenantKeys},
    error::Error,
};

#[derive(sqlx::FromRow)]
struct WrappedKey {
    purpose: String,
    version: i64,
    wrapped_key: Vec<u8>,
    kek_id: String,
}

/// Reads and unwraps `tenant`'s keys inside `tx` (which has entered the tenant). `None` if the
/// tenant has no keys (it does not exist, or it was crypto-shredded).
pub(super) async fn load(tx: &mut Tx, crypto: &Crypto, tenant: TenantId) -> Result<Option<TenantKeys>, Error> {
    let t = tenant.0;
    let versions: Option<(i64, i64)> =
        on_tx!(tx, |c| sqlx::query_as("SELECT key_version, min_decryption_version FROM tenants WHERE id = $1")
            .bind(t)
            .fetch_optional(c)
            .await)?;
    let Some((current, min_version)) = versions else { return Ok(None) };
    let rows: Vec<WrappedKey> = on_tx!(tx, |c| sqlx::query_as(
        "SELECT purpose, version, wrapped_key, kek_id FROM tenant_keys WHERE tenant_id = $1 AND (purpose = 'index' OR version >= $2)"
    )
    .bind(t)
    .bind(min_version)
    .fetch_all(c)
    .await)?;
    let mut data = HashMap::new();
    let mut index = None;
    for r in rows {
        let purpose = if r.purpose == "index" { Purpose::Index } else { Purpose::Data };
        let key = crypto.unwrap(tenant, purpose, r.version as u32, &r.kek_id, &r.wrapped_key)?;
        match purpose {
            Purpose::Index => index = Some(key),
            Purpose::Data => {
                data.insert(r.version as u32, key);
            }
        }
    }
    match index {
        Some(index) if data.contains_key(&(current as u32)) => Ok(Some(TenantKeys::new(tenant, current as u32, data, index))),
        _ => Ok(None),
    }
}

async fn insert_key(tx: &mut Tx, crypto: &Crypto, tenant: TenantId, purpose: Purpose, version: u32, key: &Key) -> Result<(), Error> {
    let wrapped = crypto.wrap(tenant, purpose, version, key);
    let at: DateTime<Utc> = now();
    let kek_id = crypto.kek_id().to_owned();
    on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO tenant_keys (tenant_id, purpose, version, wrapped_key, kek_id, state, created_at) VALUES ($1, $2, $3, $4, $5, 'active', $6)"
    )
    .bind(tenant.0)
    .bind(purpose.as_str())
    .bind(i64::from(version))
    .bind(&wrapped)
    .bind(&kek_id)
    .bind(at)
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(())
}

impl Store {
    /// Creates a tenant with its first data key and its index key; returns a transaction inside
    /// it (commit it to make the tenant exist).
    pub async fn create_tenant(&self, slug: &str, name: &str, plan: Plan) -> Result<(TenantRow, TenantTx), Error> {
        let mut g = self.global(true).await?;
        let row = g.insert_tenant(slug, name, plan).await?;
        let tenant = TenantId(row.id);
        let mut tx = g.tx;
        if let Tx::Postgres(t) = &mut tx {
            sqlx::query("SELECT set_config('app.tenant_id', $1, true)").bind(tenant.0.to_string()).execute(&mut **t).await?;
        }
        let (data, index) = (Key::generate(), Key::generate());
        insert_key(&mut tx, &self.crypto, tenant, Purpose::Data, 1, &data).await?;
        insert_key(&mut tx, &self.crypto, tenant, Purpose::Index, 0, &index).await?;
        let keys = self.crypto.remember(TenantKeys::new(tenant, 1, HashMap::from([(1, data)]), index));
        Ok((row, TenantTx { tx, tenant, keys }))
    }

    /// Proves the loaded KEK is the database's: on a fresh database, records it; on one written
    /// before, refuses any other.
    pub(super) async fn check_kek(engine: &Engine, crypto: &Crypto) -> Result<(), Error> {
        let mut g = GlobalTx { tx: engine.begin(true).await? };
        let found: Option<(String, Vec<u8>)> =
            on_tx!(&mut g.tx, |c| sqlx::query_as("SELECT kek_id, check_enc FROM kek_check WHERE id = 1").fetch_optional(c).await)?;
        match found {
            Some((id, blob)) if id == crypto.kek_id() && crypto.verify_kek_check(&blob) => Ok(()),
            Some((id, _)) => Err(Error::Config(format!(
                "the configured master key (id {}) is not the one this database was written under (id {id}); refusing to start",
                crypto.kek_id()
            ))),
            None => {
                let blob = crypto.kek_check();
                let kek_id = crypto.kek_id().to_owned();
                on_tx!(&mut g.tx, |c| sqlx::query("INSERT INTO kek_check (id, kek_id, check_enc, created_at) VALUES (1, $1, $2, $3)")
                    .bind(&kek_id)
                    .bind(&blob)
                    .bind(now())
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected()))?;
                g.commit().await
            }
        }
    }

    /// Whether the database already holds data written under some KEK.
    pub(super) async fn has_kek_check(engine: &Engine) -> Result<bool, Error> {
        let mut g = GlobalTx { tx: engine.begin(false).await? };
        let n: i64 = on_tx!(&mut g.tx, |c| sqlx::query_scalar("SELECT COUNT(*) FROM kek_check").fetch_one(c).await)?;
        Ok(n > 0)
    }
}

/// Loads the KEK from `source`, creating it only for a database that has never had one.
pub(super) async fn kek_for(engine: &Engine, source: &KeySource) -> Result<Crypto, Error> {
    let kek = match source.load()? {
        Some(k) => k,
        None if Store::has_kek_check(engine).await? => {
            return Err(Error::Config(format!(
                "no master key at {source:?}, but this database was written under one; refusing to start \
                 (restore the key file or set VESTIBULE_MASTER_KEY)"
            )));
        }
        None => source.create()?,
    };
    let crypto = Crypto::new(kek);
    Store::check_kek(engine, &crypto).await?;
    Ok(crypto)
}
