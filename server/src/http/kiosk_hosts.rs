//! The kiosk's host search (`GET /api/v1/kiosk/hosts`): display names of the kiosk's site only,
//! never emails, and only as much as the tenant lets anyone at the tablet see (a minimum query
//! length; with `directory_exact`, whole first or last names only).

use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};
use vestibule_shared::dto::kiosk::{DirectoryEntry, HostSearch};

use super::extract::{ApiJson, ApiQuery};
use crate::{auth::Kiosk, error::Error, state::AppState};

/// The most directory entries one search returns.
const MAX_DIRECTORY_RESULTS: usize = 20;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search_hosts))
}

/// Searches the host directory of the kiosk's site: names only, never emails. Under the tenant's
/// minimum query length the answer is empty; with `directory_exact` a host shows only when the
/// query is their whole first name, last name or name (case aside).
#[utoipa::path(get, path = "/api/v1/kiosk/hosts", tag = "kiosk", params(HostSearch),
    responses((status = 200, body = Vec<DirectoryEntry>)), security(("device" = [])))]
async fn search_hosts(
    State(state): State<AppState>,
    k: Kiosk,
    ApiQuery(s): ApiQuery<HostSearch>,
) -> Result<ApiJson<Vec<DirectoryEntry>>, Error> {
    let query =
        s.q.as_ref()
            .map(|q| q.as_str().to_lowercase())
            .unwrap_or_default();
    let words: Vec<&str> = query.split_whitespace().collect();
    let mut tx = state.store.read(k.tenant).await?;
    let settings = tx.settings().await?;
    if query.trim().chars().count() < usize::from(settings.directory_min_chars) {
        tx.commit().await?;
        return Ok(ApiJson(Vec::new()));
    }
    let hosts = tx.hosts(Some(k.kiosk.site_id)).await?;
    tx.commit().await?;
    let mut found: Vec<DirectoryEntry> = hosts
        .into_iter()
        .filter(|h| shows(&h.name, &words, settings.directory_exact))
        .map(|h| DirectoryEntry {
            id: h.id,
            display_name: h.name,
        })
        .collect();
    found.sort_by_key(|e| e.display_name.to_lowercase());
    found.truncate(MAX_DIRECTORY_RESULTS);
    Ok(ApiJson(found))
}

/// Whether the host named `name` answers the query `words` (lower case): each word is part of the
/// name, or with `exact` the query is the whole first name, last name or name.
fn shows(name: &str, words: &[&str], exact: bool) -> bool {
    let name = name.to_lowercase();
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
        ] {
            let words: Vec<&str> = query.split_whitespace().collect();
            assert_eq!(shows(name, &words, false), part, "{query}");
            assert_eq!(shows(name, &words, true), exact, "{query} (exact)");
        }
    }
}
