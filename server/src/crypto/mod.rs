//! The one module that turns personal fields into what the database stores, and back.
//!
//! Key hierarchy: a KEK ([`kek`]) wraps each tenant's versioned data keys and its index key; the
//! wrapped keys live in `tenant_keys`. A sealed field is
//! `0x01 ‖ key version (u32 BE) ‖ nonce (24) ‖ XChaCha20-Poly1305 ciphertext ‖ tag`, with
//! associated data binding it to tenant, table, column, row id and key version: a ciphertext
//! moved to another row, column or tenant does not open. Emails also get a blind index:
//! HMAC-SHA256 under the tenant's index key of the trimmed, lowercased, NFC-normalised address,
//! truncated to 16 bytes.

pub mod aead;
pub mod kek;
pub mod offline;
mod throttle;

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;
use vestibule_shared::types::Email;
use zeroize::Zeroizing;

pub use aead::Key;
pub use kek::{Kek, KeySource};
pub use throttle::Door;

use crate::{error::Error, ids::TenantId};

/// Where a sealed value lives: its table and column.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub table: &'static str,
    pub column: &'static str,
}

impl Field {
    pub const fn new(table: &'static str, column: &'static str) -> Self {
        Self { table, column }
    }
}

/// Format byte of sealed fields.
const FORMAT_V1: u8 = 1;
const HEADER_LEN: usize = 1 + 4 + aead::NONCE_LEN;

/// What a tenant's key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Data,
    Index,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Data => "data",
            Purpose::Index => "index",
        }
    }
}

fn field_aad(tenant: TenantId, field: Field, row: Uuid, version: u32) -> Vec<u8> {
    let mut aad = Vec::with_capacity(96);
    aad.extend_from_slice(b"vestibule-field-v1");
    aad.extend_from_slice(tenant.0.as_bytes());
    for part in [field.table, field.column] {
        aad.push(part.len() as u8);
        aad.extend_from_slice(part.as_bytes());
    }
    aad.extend_from_slice(row.as_bytes());
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

fn wrap_aad(tenant: TenantId, purpose: Purpose, version: u32, kek_id: &str) -> Vec<u8> {
    let mut aad = b"vestibule-wrap-v1".to_vec();
    aad.extend_from_slice(tenant.0.as_bytes());
    aad.extend_from_slice(purpose.as_str().as_bytes());
    aad.extend_from_slice(&version.to_be_bytes());
    aad.extend_from_slice(kek_id.as_bytes());
    aad
}

/// The email form the blind index is computed over: trimmed, lowercase, NFC.
pub fn normalize_email(raw: &str) -> String {
    raw.trim()
        .nfc()
        .collect::<String>()
        .to_lowercase()
        .nfc()
        .collect()
}

/// The name form the watchlist's blind index is computed over: lowercase, accents removed,
/// apostrophes dropped ("O'Neil" is "oneil"), other punctuation a space, and the words sorted,
/// so that "José  Álvarez-O'Neil" and "ÁLVAREZ-O'NEIL José" are one name.
pub fn normalize_name(raw: &str) -> String {
    let folded: String = raw
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .filter(|c| !matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '`' | '\u{b4}'))
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let mut words: Vec<&str> = folded.split_whitespace().collect();
    words.sort_unstable();
    words.join(" ")
}

/// One tenant's unwrapped keys.
pub struct TenantKeys {
    pub tenant: TenantId,
    /// The data-key version new writes use.
    pub current: u32,
    /// The oldest data-key version still held (older ones are destroyed).
    pub min: u32,
    data: HashMap<u32, Key>,
    index: Key,
}

impl std::fmt::Debug for TenantKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantKeys")
            .field("tenant", &self.tenant)
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

impl TenantKeys {
    pub fn new(
        tenant: TenantId,
        (current, min): (u32, u32),
        data: HashMap<u32, Key>,
        index: Key,
    ) -> TenantKeys {
        TenantKeys {
            tenant,
            current,
            min,
            data,
            index,
        }
    }

    /// Seals `plaintext` for `field` of row `row` under the current data key.
    pub fn seal(&self, field: Field, row: Uuid, plaintext: &str) -> Vec<u8> {
        self.seal_bytes(field, row, plaintext.as_bytes())
    }

    /// Seals bytes (an image) for `field` of row `row` under the current data key.
    pub fn seal_bytes(&self, field: Field, row: Uuid, plaintext: &[u8]) -> Vec<u8> {
        let version = self.current;
        let key = &self.data[&version];
        let nonce = aead::nonce();
        let ct = aead::seal(
            key,
            &nonce,
            &field_aad(self.tenant, field, row, version),
            plaintext,
        );
        let mut out = Vec::with_capacity(HEADER_LEN + ct.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&version.to_be_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// The key version a sealed value was written under.
    pub fn version_of(sealed: &[u8]) -> Option<u32> {
        (sealed.len() > HEADER_LEN && sealed[0] == FORMAT_V1)
            .then(|| u32::from_be_bytes([sealed[1], sealed[2], sealed[3], sealed[4]]))
    }

    /// Opens a value sealed for the same tenant, field and row.
    pub fn open(&self, field: Field, row: Uuid, sealed: &[u8]) -> Result<String, Error> {
        let mut plain = self.open_bytes(field, row, sealed)?;
        // The opened bytes become the String (no copy); a field that is not UTF-8 is wiped.
        String::from_utf8(std::mem::take(&mut *plain)).map_err(|e| {
            drop(Zeroizing::new(e.into_bytes()));
            unopened(field)
        })
    }

    /// Opens bytes sealed for the same tenant, field and row.
    pub fn open_bytes(
        &self,
        field: Field,
        row: Uuid,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        let fail = || unopened(field);
        let version = Self::version_of(sealed).ok_or_else(fail)?;
        let key = self.data.get(&version).ok_or_else(fail)?;
        aead::open(
            key,
            &sealed[5..HEADER_LEN],
            &field_aad(self.tenant, field, row, version),
            &sealed[HEADER_LEN..],
        )
        .ok_or_else(fail)
    }

    /// Opens an optional sealed value.
    pub fn open_opt(
        &self,
        field: Field,
        row: Uuid,
        sealed: Option<&[u8]>,
    ) -> Result<Option<String>, Error> {
        sealed.map(|s| self.open(field, row, s)).transpose()
    }

    /// The blind index of an email: equal for addresses equal after normalisation, in this tenant only.
    pub fn email_index(&self, email: &Email) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.index.expose())
            .expect("HMAC takes any key length");
        mac.update(b"email:");
        mac.update(normalize_email(email.as_str()).as_bytes());
        mac.finalize().into_bytes()[..16].to_vec()
    }

    /// The blind index of a person's name (the watchlist's): equal for names equal after
    /// [`normalize_name`], in this tenant only.
    pub fn name_index(&self, name: &str) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.index.expose())
            .expect("HMAC takes any key length");
        mac.update(b"name:");
        mac.update(normalize_name(name).as_bytes());
        mac.finalize().into_bytes()[..16].to_vec()
    }

    /// The keyed hash of a code a visitor brings (`kind` says whose: `invite`), the only form in
    /// which it is stored: a copy of the database cannot be searched for codes without the key.
    pub fn code_index(&self, kind: &str, code: &str) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.index.expose())
            .expect("HMAC takes any key length");
        mac.update(kind.as_bytes());
        mac.update(b":");
        mac.update(code.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

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

    fn kek(&self) -> Kek {
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

#[cfg(test)]
impl TenantKeys {
    /// Fresh random keys for a tenant, version 1 (tests only).
    pub fn for_tests(tenant: TenantId) -> TenantKeys {
        TenantKeys::new(
            tenant,
            (1, 1),
            HashMap::from([(1, Key::generate())]),
            Key::generate(),
        )
    }
}

/// The error of a sealed value that does not open: names the column, never the value.
fn unopened(field: Field) -> Error {
    Error::Internal(anyhow::anyhow!(
        "{}.{} of a row does not open under its tenant's keys",
        field.table,
        field.column
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn tenant() -> TenantId {
        TenantId(Uuid::now_v7())
    }

    const NAME: Field = Field::new("visitors", "name_enc");

    #[test]
    fn sealed_fields_open_only_where_they_were_sealed() {
        let t = TenantKeys::for_tests(tenant());
        let row = Uuid::now_v7();
        let sealed = t.seal(NAME, row, "Zoë");
        assert_eq!(t.open(NAME, row, &sealed).expect("opens"), "Zoë");
        assert!(
            t.open(NAME, Uuid::now_v7(), &sealed).is_err(),
            "another row"
        );
        assert!(
            t.open(Field::new("visitors", "company_enc"), row, &sealed)
                .is_err(),
            "another column"
        );
        assert!(
            t.open(Field::new("hosts", "name_enc"), row, &sealed)
                .is_err(),
            "another table"
        );
        assert!(
            TenantKeys::for_tests(tenant())
                .open(NAME, row, &sealed)
                .is_err(),
            "another tenant"
        );
        let mut flipped = sealed.clone();
        *flipped.last_mut().expect("bytes") ^= 1;
        assert!(t.open(NAME, row, &flipped).is_err(), "a flipped bit");
        assert_eq!(TenantKeys::version_of(&sealed), Some(1));
    }

    #[test]
    fn blind_index_matches_variants_within_a_tenant_only() {
        let t = TenantKeys::for_tests(tenant());
        let idx = |s: &str| t.email_index(&Email::parse(s).expect("email"));
        let composed = "jos\u{e9}@example.com";
        let decomposed = "jose\u{301}@example.com";
        assert_eq!(idx(composed), idx(decomposed), "NFC and NFD");
        assert_eq!(
            idx(composed),
            idx("  JOS\u{c9}@Example.COM  "),
            "case and surrounding spaces"
        );
        assert_ne!(idx(composed), idx("jose@example.com"));
        assert_eq!(idx(composed).len(), 16);
        let other = TenantKeys::for_tests(tenant());
        assert_ne!(
            idx(composed),
            other.email_index(&Email::parse(composed).expect("email")),
            "another tenant"
        );
    }

    #[test]
    fn name_index_ignores_case_accents_punctuation_and_word_order() {
        let t = TenantKeys::for_tests(tenant());
        let same = [
            "Jos\u{e9}  \u{c1}lvarez-O'Neil",
            "jose alvarez oneil",
            "\u{c1}LVAREZ-O'NEIL Jos\u{e9}",
            "Jose\u{301} Alvarez O\u{2019}Neil.",
        ];
        for name in same {
            assert_eq!(normalize_name(name), "alvarez jose oneil", "{name}");
            assert_eq!(t.name_index(name), t.name_index(same[0]), "{name}");
        }
        assert_ne!(t.name_index("Jose Alvarez"), t.name_index(same[0]));
        assert_ne!(t.name_index("Josef Alvarez O'Neil"), t.name_index(same[0]));
        let other = TenantKeys::for_tests(tenant());
        assert_ne!(
            other.name_index(same[0]),
            t.name_index(same[0]),
            "another tenant"
        );
    }

    #[test]
    fn a_million_encryptions_never_repeat_a_nonce() {
        let t = TenantKeys::for_tests(tenant());
        let row = Uuid::now_v7();
        let mut seen = HashSet::with_capacity(1_000_000);
        for _ in 0..1_000_000 {
            let sealed = t.seal(NAME, row, "x");
            let nonce: [u8; aead::NONCE_LEN] = sealed[5..HEADER_LEN].try_into().expect("nonce");
            assert!(seen.insert(nonce), "a nonce repeated");
        }
    }

    #[test]
    fn keys_unwrap_only_under_their_kek_and_binding() {
        let kek = Kek::new(Key::generate());
        let crypto = Crypto::new(kek.clone());
        let t = tenant();
        let key = Key::generate();
        let wrapped = Crypto::wrap(&kek, t, Purpose::Data, 1, &key);
        assert_eq!(
            crypto
                .unwrap(t, Purpose::Data, 1, &kek.id, &wrapped)
                .expect("unwraps")
                .expose(),
            key.expose()
        );
        assert!(
            crypto
                .unwrap(t, Purpose::Data, 2, &kek.id, &wrapped)
                .is_err(),
            "another version"
        );
        assert!(
            crypto
                .unwrap(t, Purpose::Index, 1, &kek.id, &wrapped)
                .is_err(),
            "another purpose"
        );
        assert!(
            crypto
                .unwrap(tenant(), Purpose::Data, 1, &kek.id, &wrapped)
                .is_err(),
            "another tenant"
        );
        let other = Kek::new(Key::generate());
        assert!(
            Crypto::new(other.clone())
                .unwrap(t, Purpose::Data, 1, &kek.id, &wrapped)
                .is_err(),
            "another KEK"
        );
        assert!(Crypto::verify_kek_check(&kek, &Crypto::kek_check(&kek)));
        assert!(!Crypto::verify_kek_check(&other, &Crypto::kek_check(&kek)));
    }
}
