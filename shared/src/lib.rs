//! The wire contract of Vestibule: request and response bodies, the validated newtypes that every
//! edge (server handlers, the kiosk) parses input into, and the error envelope.
//!
//! No IO lives here, no database row types and no business logic.

pub mod dto;
pub mod error;
pub mod types;

pub use error::{ErrorBody, ErrorCode, ErrorEnvelope};
