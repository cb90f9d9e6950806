//! The Vestibule API server: storage, crypto, accounts and the HTTP API.

pub mod crypto;
pub mod error;
pub mod store;
