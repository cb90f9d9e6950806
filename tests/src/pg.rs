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

impl TestDb {
    pub async fn create() -> TestDb {
        let admin = admin_url();
        let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
            panic!("PostgreSQL is not reachable at {admin} ({e}); `cargo xtask test` starts it, or set VESTIBULE_TEST_PG_URL")
        });
        let name = format!("vestibule_test_{}", Uuid::now_v7().simple());
        conn.execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("create the test database");
        conn.close().await.ok();
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(b, _)| b)
            .to_owned();
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
