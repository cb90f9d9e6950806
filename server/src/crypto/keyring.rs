//! [`Crypto`]: the KEK in use (read again from its source when the database names another,
//! after a rotation by another process), wrapping and unwrapping tenants' keys under it, the
//! check value that tells a wrong KEK at start, and the cache of tenants' unwrapped keys.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use super::{Kek, Key, KeySource, Purpose, TenantKeys, aead, wrap_aad};
use crate::{error::Error, ids::TenantId};

/// The KEK and the tenants' unwrapped keys, cached per tenant.
pub struct Crypto {
    kek: RwLock<Kek>,
    /// Where the KEK was loaded from: read again when the database names another KEK (after a
    /// `keys rotate-kek` by another process).
    source: Option<KeySource>,
    tenants: RwLock<HashMap<TenantId, Arc<TenantKeys>>>,
}

impl std::fmt::Debug for Crypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crypto")
            .field("kek_id", &self.kek_id())
            .finish_non_exhaustive()
    }
}

impl Crypto {
    pub fn new(kek: Kek) -> Crypto {
        Crypto {
            kek: RwLock::new(kek),
            source: None,
            tenants: RwLock::default(),
        }
    }

    /// A KEK loaded from `source`, which is read again if the database moves to another KEK.
    pub fn with_source(kek: Kek, source: KeySource) -> Crypto {
        Crypto {
            source: Some(source),
            ..Crypto::new(kek)
        }
    }

    pub(super) fn kek(&self) -> Kek {
        self.kek.read().expect("KEK lock").clone()
    }

    pub fn kek_id(&self) -> String {
        self.kek.read().expect("KEK lock").id.clone()
    }

    /// The KEK whose id is `kek_id`: the loaded one, or the one now in the source (or its next
    /// slot), which then replaces the loaded one.
    pub fn kek_named(&self, kek_id: &str) -> Result<Kek, Error> {
        let loaded = self.kek();
        if loaded.id == kek_id {
            return Ok(loaded);
        }
        let reloaded = match &self.source {
            Some(source) => [source.clone(), source.next()]
                .iter()
                .find_map(|s| s.load().ok().flatten().filter(|k| k.id == kek_id)),
            None => None,
        };
        let kek = reloaded.ok_or_else(|| {
            Error::Config(format!(
                "the database's keys are wrapped under KEK {kek_id}, not the loaded {}",
                loaded.id
            ))
        })?;
        tracing::info!(kek_id = %kek.id, "the master key was rotated; using the new one");
        *self.kek.write().expect("KEK lock") = kek.clone();
        Ok(kek)
    }

    /// Replaces the loaded KEK (after this process rotated it).
    pub fn set_kek(&self, kek: Kek) {
        *self.kek.write().expect("KEK lock") = kek;
    }

    /// Wraps a tenant key under `kek`.
    pub fn wrap(kek: &Kek, tenant: TenantId, purpose: Purpose, version: u32, key: &Key) -> Vec<u8> {
        let nonce = aead::nonce();
        let mut out = nonce.to_vec();
        out.extend(aead::seal(
            &kek.key,
            &nonce,
            &wrap_aad(tenant, purpose, version, &kek.id),
            key.expose(),
        ));
        out
    }

    /// Unwraps a tenant key wrapped by [`Crypto::wrap`] under the KEK named `kek_id`.
    pub fn unwrap(
        &self,
        tenant: TenantId,
        purpose: Purpose,
        version: u32,
        kek_id: &str,
        wrapped: &[u8],
    ) -> Result<Key, Error> {
        let kek = self.kek_named(kek_id)?;
        if wrapped.len() < aead::NONCE_LEN {
            return Err(Error::Config(format!(
                "a wrapped key of tenant {} is truncated",
                tenant.0
            )));
        }
        let (nonce, ct) = wrapped.split_at(aead::NONCE_LEN);
        let plain = aead::open(
            &kek.key,
            nonce,
            &wrap_aad(tenant, purpose, version, kek_id),
            ct,
        )
        .ok_or_else(|| {
            Error::Config(format!(
                "a key of tenant {} does not unwrap under the loaded KEK",
                tenant.0
            ))
        })?;
        Key::from_slice(&plain).ok_or_else(|| Error::Config("a wrapped key is not 32 bytes".into()))
    }

    /// A value only `kek` opens: stored once, checked at every start.
    pub fn kek_check(kek: &Kek) -> Vec<u8> {
        let nonce = aead::nonce();
        let mut out = nonce.to_vec();
        out.extend(aead::seal(
            &kek.key,
            &nonce,
            b"vestibule-kek-check-v1",
            kek.id.as_bytes(),
        ));
        out
    }

    /// Whether `blob` was made by [`Crypto::kek_check`] under `kek`.
    pub fn verify_kek_check(kek: &Kek, blob: &[u8]) -> bool {
        blob.len() > aead::NONCE_LEN
            && aead::open(
                &kek.key,
                &blob[..aead::NONCE_LEN],
                b"vestibule-kek-check-v1",
                &blob[aead::NONCE_LEN..],
            )
            .is_some_and(|p| p.as_slice() == kek.id.as_bytes())
    }

    pub fn cached(&self, tenant: TenantId) -> Option<Arc<TenantKeys>> {
        self.tenants
            .read()
            .expect("key cache lock")
            .get(&tenant)
            .cloned()
    }

    pub fn remember(&self, keys: TenantKeys) -> Arc<TenantKeys> {
        let keys = Arc::new(keys);
        self.tenants
            .write()
            .expect("key cache lock")
            .insert(keys.tenant, keys.clone());
        keys
    }

    /// Drops a tenant's keys from memory (after they were destroyed or replaced).
    pub fn forget(&self, tenant: TenantId) {
        self.tenants
            .write()
            .expect("key cache lock")
            .remove(&tenant);
    }
}
