//! Test harness shared by Vestibule's integration tests: fresh PostgreSQL databases ([`pg`]); the
//! real `vestibule-server` binary on a random port over TLS, or the same server inside the test
//! process on a clock the test moves ([`server`]); an API client whose helpers read like the
//! user's actions ([`api`]); a private Secret Service ([`keychain`]); the Python tools some tests
//! drive ([`pytools`]); one of every kind of row ([`everything`]); a check-in load that keeps a ledger ([`load`]); a PostgreSQL cluster a
//! test may stop and start ([`private_pg`]); label printers ([`printer`]); an HTTPS webhook
//! receiver ([`webhooks`]); upgrade fixtures ([`upgrade`]); what the kiosk's processes hold in memory ([`memory`]); and
//! [`wait_until`], which polls for what another process should do instead of sleeping.

pub mod api;
pub mod browser;
pub mod everything;
pub mod idp;
pub mod keychain;
pub mod kiosk;
pub mod load;
pub mod memory;
pub mod pg;
pub mod printer;
pub mod private_pg;
pub mod pytools;
pub mod server;
pub mod smtp;
pub mod upgrade;
pub mod wait;
pub mod webhooks;
pub mod world;

pub use api::{Api, Auth, Resp};
pub use pg::TestDb;
pub use server::{Engine, TestServer};
pub use wait::{run_ok, wait_until};
pub use world::Tenant;
