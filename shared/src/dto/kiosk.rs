//! What a kiosk device sends and receives: enrollment, the host directory, override login.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::types::{Email, EnrollmentCode, Pin, SearchQuery};

/// `POST /api/v1/kiosk/enroll`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Enroll {
    pub enrollment_code: EnrollmentCode,
}

/// The device token (shown once; the kiosk keeps it in the OS keychain) and what it is bound to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Enrolled {
    pub device_token: String,
    pub tenant: EnrolledTenant,
    pub site: EnrolledSite,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnrolledTenant {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnrolledSite {
    pub id: Uuid,
    pub name: String,
    pub timezone: String,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HostSearch {
    /// Part of the host's name; empty lists the first hosts of the site.
    #[param(inline)]
    pub q: Option<SearchQuery>,
}

/// A directory entry as a kiosk sees it: a display name, never an email.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DirectoryEntry {
    pub id: Uuid,
    pub display_name: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideLogin {
    pub email: Email,
    pub pin: Pin,
}

/// A short-lived override token (5 minutes idle), sent as `X-Override-Token` with the device token.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OverrideToken {
    pub override_token: String,
    pub expires_at: DateTime<Utc>,
}

/// Whether the host named `name` answers the directory query `query`: each word of it is part of
/// the name (case aside), or with `exact` the query is the whole first name, last name or name.
/// The server's host search and the kiosk's offline one both apply it.
pub fn shows(name: &str, query: &str, exact: bool) -> bool {
    let (name, query) = (name.to_lowercase(), query.to_lowercase());
    let words: Vec<&str> = query.split_whitespace().collect();
    if !exact {
        return words.iter().all(|w| name.contains(w));
    }
    let parts: Vec<&str> = name.split_whitespace().collect();
    let query = words.join(" ");
    [parts.first().copied(), parts.last().copied()].contains(&Some(query.as_str()))
        || parts.join(" ") == query
}

#[cfg(test)]
mod tests {
    use super::shows;

    #[test]
    fn an_exact_directory_shows_whole_first_or_last_names_only() {
        let name = "Harriet Anne Host";
        for (query, part, exact) in [
            ("harr", true, false),
            ("zoe", false, false),
            ("harriet", true, true),
            ("host", true, true),
            ("harriet anne host", true, true),
            ("anne", true, false),
            ("harriet host", true, false),
            ("HARRIET", true, true),
        ] {
            assert_eq!(shows(name, query, false), part, "{query}");
            assert_eq!(shows(name, query, true), exact, "{query} (exact)");
        }
    }
}
