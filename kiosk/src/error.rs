//! The kiosk's one error type. It crosses to the UI as a [`CommandError`] (`{kind, message,
//! fields?}`, its TypeScript type generated); messages never carry what the visitor typed.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};
#[cfg(test)]
use ts_rs::TS;
use vestibule_shared::types::ValidationError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the server cannot be reached")]
    Unreachable,
    #[error("the server's identity could not be verified")]
    PinMismatch,
    #[error("this kiosk is no longer enrolled")]
    Revoked,
    #[error("{message}")]
    Validation {
        message: String,
        fields: BTreeMap<String, String>,
    },
    #[error("not found")]
    NotFound,
    #[error("too many attempts; try again later")]
    Locked,
    #[error("{0}")]
    Keychain(String),
    #[error("the override session has ended")]
    OverrideExpired,
    #[error("too many check-ins are waiting for the server; please see reception")]
    OfflineFull,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Internal(String),
}

/// What kind of failure a command had: the UI decides what to show from this alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Unreachable,
    PinMismatch,
    Revoked,
    Validation,
    NotFound,
    Locked,
    Keychain,
    OverrideExpired,
    OfflineFull,
    Conflict,
    Internal,
}

/// A failed command as the UI receives it.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(TS))]
pub struct CommandError {
    pub kind: ErrorKind,
    pub message: String,
    /// For `validation`: the rule each field broke, by field name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub fields: Option<BTreeMap<String, String>>,
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Unreachable => ErrorKind::Unreachable,
            Error::PinMismatch => ErrorKind::PinMismatch,
            Error::Revoked => ErrorKind::Revoked,
            Error::Validation { .. } | Error::Config(_) => ErrorKind::Validation,
            Error::NotFound => ErrorKind::NotFound,
            Error::Locked => ErrorKind::Locked,
            Error::Keychain(_) => ErrorKind::Keychain,
            Error::OverrideExpired => ErrorKind::OverrideExpired,
            Error::OfflineFull => ErrorKind::OfflineFull,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// A validation error of one field.
    pub fn field(field: &str, message: impl Into<String>) -> Error {
        let message = message.into();
        Error::Validation {
            message: message.clone(),
            fields: BTreeMap::from([(field.to_owned(), message)]),
        }
    }

    /// Maps a shared newtype's parse error onto the input field it came from.
    pub fn invalid(field: &'static str) -> impl FnOnce(ValidationError) -> Error {
        move |e| Error::field(field, e.0)
    }

    /// The error as the UI receives it.
    pub fn to_command_error(&self) -> CommandError {
        let fields = match self {
            Error::Validation { fields, .. } => Some(fields.clone()),
            Error::Config(m) => Some(BTreeMap::from([("setup".to_owned(), m.clone())])),
            _ => None,
        };
        CommandError {
            kind: self.kind(),
            message: self.to_string(),
            fields,
        }
    }
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_command_error().serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crosses_to_the_ui_as_kind_message_and_fields() {
        let v = serde_json::to_value(Error::field(
            "badge_code",
            "must be an 8-character badge code",
        ))
        .expect("json");
        assert_eq!(
            v,
            serde_json::json!({"kind": "validation", "message": "must be an 8-character badge code",
                "fields": {"badge_code": "must be an 8-character badge code"}})
        );
        let v = serde_json::to_value(Error::OverrideExpired).expect("json");
        assert_eq!(
            v,
            serde_json::json!({"kind": "override_expired", "message": "the override session has ended"})
        );
        let v = serde_json::to_value(Error::Config("no URL".into())).expect("json");
        assert_eq!(v["fields"], serde_json::json!({"setup": "no URL"}));
    }
}
