//! The kiosk's host search (`GET /api/v1/kiosk/hosts`): display names of the kiosk's site only,
//! never emails, and only as much as the tenant lets anyone at the tablet see (a minimum query
//! length; with `directory_exact`, whole first or last names only), and the site's whole directory
//! (`GET /api/v1/kiosk/directory`), which the kiosk keeps in memory to search by the same rule
//! while it cannot reach the server. A host the identity provider deactivated is in neither.

use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};
use vestibule_shared::dto::kiosk::{DirectoryEntry, HostSearch, shows};

use super::extract::{ApiJson, ApiQuery};
use crate::{auth::Kiosk, error::Error, state::AppState};

/// The most directory entries one search returns.
const MAX_DIRECTORY_RESULTS: usize = 20;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search_hosts))
        .routes(routes!(directory))
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
    let query = s.q.as_ref().map(|q| q.as_str()).unwrap_or_default();
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
        .filter(|h| h.active && shows(&h.name, query, settings.directory_exact))
        .map(|h| DirectoryEntry {
            id: h.id,
            display_name: h.name,
        })
        .collect();
    found.sort_by_key(|e| e.display_name.to_lowercase());
    found.truncate(MAX_DIRECTORY_RESULTS);
    Ok(ApiJson(found))
}

/// The host directory of the kiosk's site, names only: the kiosk keeps it in memory (never on
/// disk) to search it by the tenant's rules while the server cannot be reached.
#[utoipa::path(get, path = "/api/v1/kiosk/directory", tag = "kiosk",
    responses((status = 200, body = Vec<DirectoryEntry>)), security(("device" = [])))]
async fn directory(
    State(state): State<AppState>,
    k: Kiosk,
) -> Result<ApiJson<Vec<DirectoryEntry>>, Error> {
    let mut tx = state.store.read(k.tenant).await?;
    let hosts = tx.hosts(Some(k.kiosk.site_id)).await?;
    tx.commit().await?;
    let mut all: Vec<DirectoryEntry> = hosts
        .into_iter()
        .filter(|h| h.active)
        .map(|h| DirectoryEntry {
            id: h.id,
            display_name: h.name,
        })
        .collect();
    all.sort_by_key(|e| e.display_name.to_lowercase());
    Ok(ApiJson(all))
}
