//! Request and response bodies of the HTTP API, one module per feature. Requests reject unknown
//! fields; every string field is a bounded, validated newtype from [`crate::types`].

pub mod accounts;
pub mod api_keys;
pub mod badges;
pub mod directory;
pub mod evacuations;
pub mod invites;
pub mod kiosk;
pub mod mail;
pub mod offline;
pub mod passes;
pub mod privacy;
pub mod settings;
pub mod sso;
pub mod visitor_types;
pub mod visits;
pub mod watchlist;
pub mod webhooks;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A page of results.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The number of items that match the filter, over all pages (the visit log counts up to
    /// 10 000: see `total_capped`).
    pub total: i64,
    /// True when more items match than `total` says (the count stopped at its cap).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub total_capped: bool,
    pub limit: i64,
    pub offset: i64,
    /// The cursor of the next page (pass it as `after`), absent on the last page. Lists that
    /// page by cursor send it; it stays as fast on the millionth item as on the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, pattern = "^-?[0-9]{1,19}_[0-9a-f]{32}$")]
    pub next: Option<crate::types::PageCursor>,
}

impl<T> Page<T> {
    /// A page of a list paged by offset, with an exact total.
    pub fn new(items: Vec<T>, total: i64, limit: i64, offset: i64) -> Self {
        Page {
            items,
            total,
            total_capped: false,
            limit,
            offset,
            next: None,
        }
    }
}
