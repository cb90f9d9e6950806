//! Vestibule's integration tests, as one test binary (one link instead of one per file, and one
//! process whose harness builds the server once): each module is one area, most of them driving
//! the real `vestibule-server` binary over TLS on SQLite and PostgreSQL (see the `vestibule_tests`
//! harness); `storage`, `rls` and `storage_support` test the server's `Store` seam in-process.
//!
//! Run one area with a name filter: `cargo test -p vestibule-tests shield::`, or one engine's
//! tests with `_on_postgres`.

/// Declares, for each `async fn <name>(engine: Engine)` listed, the two tests
/// `<name>_on_sqlite` and `<name>_on_postgres` that run it on each storage engine. Declared before
/// the modules, so that each of them can use it.
macro_rules! both_engines {
    ($($name:ident),+ $(,)?) => {
        paste::paste! {
            $(
                #[tokio::test]
                async fn [<$name _on_sqlite>]() {
                    $name(::vestibule_tests::Engine::Sqlite).await;
                }

                #[tokio::test]
                async fn [<$name _on_postgres>]() {
                    $name(::vestibule_tests::Engine::Postgres).await;
                }
            )+
        }
    };
}

mod api_keys;
mod at_rest;
mod bad_input;
mod badge_guessing;
mod badges;
mod check_in_batch;
mod console_api;
mod console_e2e;
mod crash;
mod deploy;
mod e2e;
mod early_refusal;
mod evacuation;
mod expiry;
mod host_notice;
mod host_role;
mod idempotency;
mod invites;
mod isolation;
mod kiosk_e2e;
mod mail;
mod master_key;
mod offline;
mod operations;
mod override_mode;
mod packaging;
mod passes;
mod privacy;
mod retention;
mod rls;
mod rotation;
mod saml;
mod scale_out;
mod schemathesis;
mod scim;
mod seed;
mod shield;
mod shredding;
mod sign_in_oracle;
mod sign_out;
mod storage;
mod storage_support;
mod tls;
mod tls_scan;
mod upgrade;
mod visitor_types;
mod watchlist;
mod webhooks;
