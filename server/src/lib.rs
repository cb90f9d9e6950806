//! The Vestibule API server: storage on SQLite or PostgreSQL, the crypto seam, accounts and
//! credentials, the HTTP API, TLS and the admin CLI. `main.rs` only calls [`cli::main`].

pub mod auth;
pub mod background;
pub mod badge;
pub mod cli;
pub mod clock;
pub mod crypto;
pub mod days;
pub mod error;
pub mod http;
pub mod ids;
pub mod images;
#[cfg(test)]
mod layers;
pub mod mail;
pub mod metrics;
pub mod pdf;
pub mod periodic;
pub mod retention;
pub mod saml;
pub mod seed;
pub mod shield;
pub mod sign_out;
pub mod state;
pub mod store;
pub mod tls;
pub mod webhooks;

pub use state::AppState;

/// The whole HTTP API for `state`; tests build the app the same way.
pub fn app(state: AppState) -> axum::Router {
    http::router(state)
}
