//! Test harness shared by Vestibule's integration tests: fresh PostgreSQL databases ([`pg`]), the
//! real `vestibule-server` binary on a random port over TLS ([`server`]), an API client whose
//! helpers read like the user's actions ([`api`]), a private Secret Service ([`keychain`]), and the
//! Python tools some tests drive ([`pytools`]), a check-in load that keeps a ledger ([`load`]) and a
//! PostgreSQL cluster a test may stop and start ([`private_pg`]).

pub mod api;
pub mod idp;
pub mod keychain;
pub mod kiosk;
pub mod load;
pub mod pg;
pub mod private_pg;
pub mod pytools;
pub mod server;
pub mod smtp;
pub mod world;

pub use api::{Api, Auth, Resp};
pub use pg::TestDb;
pub use server::{Engine, TestServer};
pub use world::Tenant;
