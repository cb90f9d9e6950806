//! The HTTP API: one module per feature, merged here with the OpenAPI document, the fallbacks that
//! answer in the error envelope, body limits and request tracing.

mod agreements;
mod api_keys;
mod approvals;
mod auth;
mod badges;
mod console;
mod csv_rows;
mod device;
mod error_responses;
mod evacuations;
mod events;
mod extract;
mod health;
mod hosts;
mod invite_import;
mod invites;
mod json_objects;
mod kiosk_hosts;
mod kiosks;
mod mail;
mod offline;
mod operator;
mod override_mode;
mod passes;
mod printers;
mod privacy;
mod redeem;
mod saml_admin;
mod saml_sp;
mod scim;
mod settings;
mod sites;
mod typed_check_in;
mod users;
mod views;
mod visit_export;
mod visit_records;
mod visitor_types;
mod visits;
mod watchlist;
mod webhooks;

use std::sync::OnceLock;

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, MatchedPath, Request},
};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_axum::router::OpenApiRouter;
use vestibule_shared::ErrorEnvelope;

pub use extract::parse_json;
pub use hosts::{ParsedRow, parse_csv};

use crate::{
    error::{Error, RequestId},
    shield::{CSV_BODY_LIMIT, JSON_BODY_LIMIT, LOGO_BODY_LIMIT, guard},
    state::AppState,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Vestibule API", description = "Visitor management: kiosks, hosts, visits."),
    modifiers(&SecuritySchemes),
    components(schemas(ErrorEnvelope))
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        let bearer =
            || SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build());
        c.add_security_scheme("operator", bearer());
        c.add_security_scheme("session", bearer());
        c.add_security_scheme("device", bearer());
        // A tenant's API key; each operation lists the scopes that let a key in.
        c.add_security_scheme("api_key", bearer());
        c.add_security_scheme(
            "override",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Override-Token"))),
        );
    }
}

/// The OpenAPI document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api().split_for_parts().1;
    error_responses::document(&mut doc);
    doc
}

fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .merge(operator::router())
        .merge(auth::router())
        .merge(sites::router())
        .merge(hosts::router().layer(DefaultBodyLimit::max(CSV_BODY_LIMIT)))
        .merge(users::router())
        .merge(kiosks::router())
        .merge(visits::router())
        .merge(visit_export::router())
        .merge(invites::router())
        .merge(invite_import::router().layer(DefaultBodyLimit::max(CSV_BODY_LIMIT)))
        .merge(events::router())
        .merge(device::router())
        .merge(kiosk_hosts::router())
        .merge(redeem::router())
        .merge(passes::router())
        .merge(override_mode::router())
        .merge(visitor_types::router())
        .merge(agreements::router())
        .merge(visit_records::router())
        .merge(approvals::router())
        .merge(badges::router())
        .merge(evacuations::router())
        .merge(printers::router())
        .merge(printers::logo_router().layer(DefaultBodyLimit::max(LOGO_BODY_LIMIT)))
        .merge(settings::router())
        .merge(privacy::router())
        .merge(watchlist::router())
        .merge(offline::router())
        .merge(mail::router())
        .merge(saml_admin::router())
        .merge(api_keys::router())
        .merge(webhooks::router())
        .merge(scim::router())
        .merge(saml_sp::router().layer(DefaultBodyLimit::max(saml_sp::ACS_BODY_LIMIT)))
        .routes(utoipa_axum::routes!(openapi_json))
}

/// The OpenAPI document of this API.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", responses((status = 200, body = Object)))]
async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    Json(DOC.get_or_init(openapi).clone())
}

/// The whole API as an axum router, behind the shield.
pub fn router(state: AppState) -> Router {
    let shield = state.shield.clone();
    Router::from(api())
        .fallback(console::fallback)
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    // The route template, never the raw URI: paths and queries may carry search terms.
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("unmatched", |m| m.as_str());
                    let id = req
                        .extensions()
                        .get::<RequestId>()
                        .map_or("", |r| r.0.as_str());
                    tracing::info_span!("request", id, method = %req.method(), route)
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(axum::middleware::from_fn(api_keys::route_scopes))
        .layer(axum::middleware::from_fn(crate::metrics::track))
        .layer(axum::middleware::from_fn_with_state(shield, guard))
        .with_state(state)
}
