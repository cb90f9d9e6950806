//! Request and response bodies of the HTTP API, one module per feature. Requests reject unknown
//! fields; every string field is a bounded, validated newtype from [`crate::types`].

pub mod accounts;
pub mod directory;
pub mod kiosk;
pub mod mail;
pub mod settings;
pub mod sso;
pub mod visits;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A page of results.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The number of items that match the filter, over all pages.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}
