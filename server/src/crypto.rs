//! The one module that turns personal fields into what the database stores, and back.
//!
//! Every sealed value is bound to where it lives: tenant, table, column and row id. The blind index
//! of an email is what lookups (login, returning visitor) compare instead of the address.
//!
//! Format version 0 (this file) stores the UTF-8 bytes behind a version byte. The encryption
//! issue replaces it with an AEAD format under per-tenant keys; callers do not change.

use sha2::{Digest, Sha256};
use uuid::Uuid;
use vestibule_shared::types::Email;

use crate::{error::Error, store::TenantId};

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

const FORMAT_PLAIN: u8 = 0;

/// Seals and opens personal fields of every tenant.
#[derive(Debug, Default)]
pub struct Crypto {}

impl Crypto {
    pub fn new() -> Self {
        Self {}
    }

    /// Seals `plaintext` for `field` of row `row` in `tenant`.
    pub fn seal(&self, _tenant: TenantId, _field: Field, _row: Uuid, plaintext: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(plaintext.len() + 1);
        out.push(FORMAT_PLAIN);
        out.extend_from_slice(plaintext.as_bytes());
        out
    }

    /// Opens a value sealed by [`Crypto::seal`] for the same tenant, field and row.
    pub fn open(&self, _tenant: TenantId, field: Field, _row: Uuid, sealed: &[u8]) -> Result<String, Error> {
        match sealed.split_first() {
            Some((&FORMAT_PLAIN, rest)) => String::from_utf8(rest.to_vec())
                .map_err(|_| Error::Internal(anyhow::anyhow!("{}.{} holds invalid UTF-8", field.table, field.column))),
            _ => Err(Error::Internal(anyhow::anyhow!("{}.{} has an unknown format", field.table, field.column))),
        }
    }

    /// Opens an optional sealed value.
    pub fn open_opt(&self, tenant: TenantId, field: Field, row: Uuid, sealed: Option<&[u8]>) -> Result<Option<String>, Error> {
        sealed.map(|s| self.open(tenant, field, row, s)).transpose()
    }

    /// The blind index of an email in `tenant`: 16 bytes, equal for equal (normalised) addresses.
    pub fn email_index(&self, tenant: TenantId, email: &Email) -> Vec<u8> {
        let mut h = Sha256::new();
        h.update(tenant.0.as_bytes());
        h.update(email.normalized().as_bytes());
        h.finalize()[..16].to_vec()
    }
}
