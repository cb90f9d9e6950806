//! The kiosk's one error type. It crosses to the UI as `{kind, message, fields?}`; messages never
//! carry what the visitor typed.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer, ser::SerializeStruct};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the server cannot be reached")]
    Unreachable,
    #[error("the server's identity could not be verified")]
    PinMismatch,
    #[error("this kiosk is no longer enrolled")]
    Revoked,
    #[error("{message}")]
    Validation { message: String, fields: BTreeMap<String, String> },
    #[error("not found")]
    NotFound,
    #[error("too many attempts; try again later")]
    Locked,
    #[error("{0}")]
    Keychain(String),
    #[error("the receptionist session has ended")]
    OverrideExpired,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Unreachable => "unreachable",
            Error::PinMismatch => "pin_mismatch",
            Error::Revoked => "revoked",
            Error::Validation { .. } | Error::Config(_) => "validation",
            Error::NotFound => "not_found",
            Error::Locked => "locked",
            Error::Keychain(_) => "keychain",
            Error::OverrideExpired => "override_expired",
            Error::Conflict(_) => "conflict",
            Error::Internal(_) => "internal",
        }
    }

    /// A validation error of one field.
    pub fn field(field: &str, message: impl Into<String>) -> Error {
        let message = message.into();
        Error::Validation { message: message.clone(), fields: BTreeMap::from([(field.to_owned(), message)]) }
    }
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("Error", 3)?;
        out.serialize_field("kind", self.kind())?;
        out.serialize_field("message", &self.to_string())?;
        match self {
            Error::Validation { fields, .. } => out.serialize_field("fields", fields)?,
            Error::Config(m) => out.serialize_field("fields", &BTreeMap::from([("setup", m)]))?,
            _ => out.skip_field("fields")?,
        }
        out.end()
    }
}
