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
mod keyring;
pub mod offline;
mod throttle;

use std::collections::HashMap;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;
use vestibule_shared::types::Email;
use zeroize::Zeroizing;

pub use aead::Key;
pub use kek::{Kek, KeySource};
pub use keyring::Crypto;
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
mod tests;
