//! A fresh PostgreSQL database per test, dropped afterwards. The server is reached at
//! `VESTIBULE_TEST_PG_URL` (default: postgres@127.0.0.1:5432, trust auth, as on the CI machine).
//! If it cannot be reached the test fails with a message that says so: it never skips.

use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};
use uuid::Uuid;

/// The maintenance database URL of the test PostgreSQL server.
pub fn admin_url() -> String {
    std::env::var("VESTIBULE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDb {
    /// Connects as the owner (the server migrates as it, then runs as `vestibule_app`).
    pub url: String,
    name: String,
}

/// A login role that is no superuser, as the README's production layout has the schema owner.
pub const PLAIN_OWNER: &str = "vestibule_owner_test";

impl TestDb {
    pub async fn create() -> TestDb {
        Self::create_as(None).await
    }

    /// A database owned by [`PLAIN_OWNER`] (made if missing: LOGIN, CREATEROLE, a member of the
    /// app role), whose URL connects as it.
    pub async fn create_plainly_owned() -> TestDb {
        Self::create_as(Some(PLAIN_OWNER)).await
    }

    async fn create_as(owner: Option<&str>) -> TestDb {
        let admin = admin_url();
        let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
            panic!("PostgreSQL is not reachable at {admin} ({e}); `cargo xtask test` starts it, or set VESTIBULE_TEST_PG_URL")
        });
        let name = format!("vestibule_test_{}", Uuid::now_v7().simple());
        if let Some(owner) = owner {
            conn.execute(AssertSqlSafe(format!(
                "DO $$ BEGIN \
                 IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vestibule_app') THEN \
                 CREATE ROLE vestibule_app NOLOGIN; END IF; \
                 IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{owner}') THEN \
                 CREATE ROLE {owner} LOGIN CREATEROLE; GRANT vestibule_app TO {owner}; END IF; \
                 END $$"
            )))
            .await
            .expect("the owner role");
        }
        let owned_by = owner.map(|o| format!(" OWNER {o}")).unwrap_or_default();
        conn.execute(AssertSqlSafe(format!("CREATE DATABASE {name}{owned_by}")))
            .await
            .expect("create the test database");
        conn.close().await.ok();
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(b, _)| b)
            .to_owned();
        let base = match owner {
            Some(o) => base.replacen("://postgres@", &format!("://{o}@"), 1),
            None => base,
        };
        TestDb {
            url: format!("{base}/{name}?sslmode=disable"),
            name,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (admin, name) = (admin_url(), self.name.clone());
        // Drop runs inside the test's runtime; a fresh thread with its own runtime does the async work.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut c) = PgConnection::connect(&admin).await {
                    let _ = c
                        .execute(AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .await;
                }
            });
        })
        .join();
    }
}
