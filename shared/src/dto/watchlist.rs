//! The watchlist: people an admin wants stopped at the door, by name and/or email, with a reason
//! and an optional expiry. A check-in that matches is held until staff admit or deny it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::types::{Email, PersonName, Reason};

/// `POST /api/v1/watchlist`: a name, an email or both, and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchInput {
    #[serde(default)]
    pub name: Option<PersonName>,
    #[serde(default)]
    pub email: Option<Email>,
    pub reason: Reason,
    /// After this time the entry no longer holds anyone.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// `PATCH /api/v1/watchlist/{id}`: a field left out is kept; `null` clears it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchPatch {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<PersonName>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<Email>>,
    #[serde(default)]
    pub reason: Option<Reason>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

/// A field that is present, even as `null` (absent is the outer `None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// An entry, as admins see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WatchEntry {
    pub id: Uuid,
    pub name: Option<String>,
    pub email: Option<String>,
    pub reason: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Not expired: it holds a matching check-in.
    pub active: bool,
}

/// `GET /api/v1/visits/{id}/hold`: why a held visit is held (the reasons of the entries it
/// matches), for the staff who decide.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HoldReasons {
    pub reasons: Vec<String>,
}
