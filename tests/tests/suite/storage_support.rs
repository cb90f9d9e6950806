//! Fixtures of the storage tests: a fresh store on either engine, and raw SQL access to the same
//! database for what the store must never do itself (tampering with the audit log, say).

use server::{
    crypto::KeySource,
    ids::TenantId,
    store::{NewHost, Store, TenantTx},
};
use sqlx::{AssertSqlSafe, Executor, PgPool, SqlitePool};
use uuid::Uuid;
use vestibule_shared::{dto::accounts::Plan, types::Email};
use vestibule_tests::{Engine, TestDb};

/// A store on one engine, with what keeps its database alive.
pub struct Fixture {
    pub store: Store,
    raw: Raw,
    dir: tempfile::TempDir,
    /// Keeps the PostgreSQL database until the fixture is dropped.
    _db: Option<TestDb>,
}

enum Raw {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Fixture {
    /// A fresh store on `engine`.
    pub async fn on(engine: Engine) -> Fixture {
        match engine {
            Engine::Sqlite => Self::sqlite().await,
            Engine::Postgres => Self::postgres().await,
        }
    }

    pub async fn sqlite() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("vestibule.db");
        let store = Store::open_sqlite(&path, &KeySource::File(dir.path().join("master.key")))
            .await
            .expect("open SQLite");
        let raw = SqlitePool::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("raw SQLite");
        Fixture {
            store,
            raw: Raw::Sqlite(raw),
            dir,
            _db: None,
        }
    }

    pub async fn postgres() -> Fixture {
        Self::postgres_with_pool(8).await
    }

    pub async fn postgres_with_pool(max_connections: u32) -> Fixture {
        let db = TestDb::create().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let keys = KeySource::File(dir.path().join("master.key"));
        let store = Store::open_postgres(&db.url, max_connections, &keys)
            .await
            .expect("open PostgreSQL");
        let raw = PgPool::connect(&db.url).await.expect("raw PostgreSQL");
        Fixture {
            store,
            raw: Raw::Postgres(raw),
            dir,
            _db: Some(db),
        }
    }

    /// The SQLite database file (`None` on PostgreSQL).
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        matches!(self.raw, Raw::Sqlite(_)).then(|| self.dir.path().join("vestibule.db"))
    }

    /// The two byte columns of every row `sql` selects on SQLite, bypassing the store.
    pub async fn sqlite_bytes(&self, sql: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
        let Raw::Sqlite(pool) = &self.raw else {
            panic!("sqlite_bytes on PostgreSQL")
        };
        sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(pool)
            .await
            .expect("raw read")
    }

    /// A connection pool of SQLite's own, beside the store's (panics on PostgreSQL).
    pub fn sqlite_pool(&self) -> SqlitePool {
        let Raw::Sqlite(pool) = &self.raw else {
            panic!("sqlite_pool on PostgreSQL")
        };
        pool.clone()
    }

    /// Runs SQL as the database owner, bypassing the store.
    pub async fn raw(&self, sql: &str) {
        match &self.raw {
            Raw::Sqlite(p) => p.execute(AssertSqlSafe(sql.to_owned())).await.map(|_| ()),
            Raw::Postgres(p) => p.execute(AssertSqlSafe(sql.to_owned())).await.map(|_| ()),
        }
        .expect("raw SQL");
    }

    /// Copies one stored cell over another, bypassing the store (what an attacker with write
    /// access to the database, or a careless restore, could do).
    pub async fn copy_cell(&self, table: &str, from: (&str, uuid::Uuid), to: (&str, uuid::Uuid)) {
        let sql = format!(
            "UPDATE {table} SET {} = (SELECT {} FROM {table} WHERE id = $1) WHERE id = $2",
            to.0, from.0
        );
        self.raw_bind2(&sql, from.1, to.1).await;
    }

    /// Runs SQL with two bound ids as the database owner.
    pub async fn raw_bind2(&self, sql: &str, first: uuid::Uuid, second: uuid::Uuid) {
        let sql = sql.to_owned();
        match &self.raw {
            Raw::Sqlite(p) => sqlx::query(AssertSqlSafe(sql))
                .bind(first)
                .bind(second)
                .execute(p)
                .await
                .map(|_| ()),
            Raw::Postgres(p) => sqlx::query(AssertSqlSafe(sql))
                .bind(first)
                .bind(second)
                .execute(p)
                .await
                .map(|_| ()),
        }
        .expect("raw SQL");
    }

    /// The owner's pool on PostgreSQL.
    pub fn pg(&self) -> &PgPool {
        match &self.raw {
            Raw::Postgres(p) => p,
            Raw::Sqlite(_) => panic!("not PostgreSQL"),
        }
    }
}

/// Creates a tenant.
pub async fn tenant(fx: &Fixture, slug: &str) -> TenantId {
    let (row, tx) = fx
        .store
        .create_tenant(slug, slug, Plan::Business)
        .await
        .expect("tenant");
    tx.commit().await.expect("commit");
    TenantId(row.id)
}

/// A site named `name` with one host, Harriet, in `tx`'s tenant: (site, host).
pub async fn site_with_host(tx: &mut TenantTx, name: &str) -> (Uuid, Uuid) {
    let site = tx
        .insert_site(name, "Europe/Paris", None)
        .await
        .expect("site");
    let host = tx
        .insert_host(&NewHost {
            name: "Harriet Host".into(),
            email: Email::parse("harriet@example.com").expect("email"),
            site_id: site.id,
        })
        .await
        .expect("host");
    (site.id, host.id)
}
