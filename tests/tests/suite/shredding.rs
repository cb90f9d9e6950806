//! Deleting a tenant crypto-shreds it: its wrapped keys are destroyed first, then every row of it
//! goes. Its credentials stop working at once, no table keeps a row of it, and on SQLite neither
//! the database file nor its WAL still holds the bytes of its wrapped keys. Other tenants are
//! untouched.

use reqwest::Method;
use serde_json::json;
use sqlx::{AssertSqlSafe, Connection};
use uuid::Uuid;
use vestibule_tests::{Auth, Engine, Tenant, TestServer};

/// Runs one query with one text parameter on the server's database as its owner (bypassing the
/// server); returns the first column of every row.
async fn strings(server: &TestServer, sql: &str, param: &str) -> Vec<String> {
    let sql = AssertSqlSafe(sql.to_owned());
    match &server.db {
        Some(db) => {
            let mut c = sqlx::PgConnection::connect(&db.url).await.expect("connect");
            sqlx::query_scalar(sql).bind(param).fetch_all(&mut c).await
        }
        None => {
            let url = format!(
                "sqlite://{}?mode=ro",
                server.data_dir.path().join("vestibule.db").display()
            );
            let mut c = sqlx::SqliteConnection::connect(&url)
                .await
                .expect("connect");
            sqlx::query_scalar(sql).bind(param).fetch_all(&mut c).await
        }
    }
    .expect("raw query")
}

async fn deleting_a_tenant_shreds_it(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let acme = Tenant::setup(&api, &server.operator_token, "acme").await;
    let globex = Tenant::setup(&api, &server.operator_token, "globex").await;
    acme.check_in(&api, "a", "Shredded Visitor").await;
    globex.check_in(&api, "g", "Kept Visitor").await;
    let id = Uuid::parse_str(&acme.id).expect("uuid");

    let tables_sql = match engine {
        Engine::Sqlite => {
            "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p ON p.name = 'tenant_id' WHERE m.type = 'table' AND $1 = $1"
        }
        Engine::Postgres => {
            "SELECT table_name::text FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenant_id' AND $1 = $1"
        }
    };
    let tables = strings(&server, tables_sql, "").await;
    assert!(tables.len() >= 12, "{tables:?}");
    let wrapped_sql = match engine {
        Engine::Sqlite => "SELECT hex(wrapped_key) FROM tenant_keys WHERE hex(tenant_id) = $1",
        Engine::Postgres => {
            "SELECT encode(wrapped_key, 'hex') FROM tenant_keys WHERE tenant_id::text = $1"
        }
    };
    let tenant_param = match engine {
        Engine::Sqlite => id.simple().to_string().to_uppercase(),
        Engine::Postgres => id.to_string(),
    };
    let wrapped = strings(&server, wrapped_sql, &tenant_param).await;
    assert_eq!(wrapped.len(), 2, "a data key and an index key");

    let operator = Auth::bearer(server.operator_token.clone());
    let path = format!("/api/v1/operator/tenants/{}", acme.id);
    api.send(Method::DELETE, &path, &operator, None, &[])
        .await
        .expect(204);
    api.send(Method::DELETE, &path, &operator, None, &[])
        .await
        .expect(404);

    // Its credentials are dead; the other tenant works as before.
    assert_eq!(api.get("/api/v1/visits", &acme.admin).await.status, 401);
    let r = api
        .check_in(
            &acme.device,
            "after",
            &vestibule_tests::api::visitor(&acme.host, "Late Visitor", "late@example.com"),
        )
        .await;
    assert_eq!(r.status, 401);
    let login = api
        .post(
            "/api/v1/auth/login",
            &Auth::None,
            json!({"tenant": "acme", "email": "admin@acme.test", "password": "correct horse battery staple"}),
        )
        .await;
    assert_eq!(login.status, 401, "{:?}", login.body);
    globex.check_in(&api, "g2", "Second Kept Visitor").await;
    let log = api.get("/api/v1/visits", &globex.admin).await.expect(200);
    assert_eq!(log["total"], 2);

    for table in tables.iter().chain([&"tenants".to_owned()]) {
        let column = if table == "tenants" {
            "id"
        } else {
            "tenant_id"
        };
        let sql = match engine {
            Engine::Sqlite => {
                format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table} WHERE hex({column}) = $1")
            }
            Engine::Postgres => {
                format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table} WHERE {column}::text = $1")
            }
        };
        assert_eq!(
            strings(&server, &sql, &tenant_param).await,
            ["0"],
            "{table} still has rows of the deleted tenant"
        );
    }

    if engine == Engine::Sqlite {
        let dir = server.data_dir.path();
        let mut files = std::fs::read(dir.join("vestibule.db")).expect("database file");
        files.extend(std::fs::read(dir.join("vestibule.db-wal")).unwrap_or_default());
        for w in &wrapped {
            let bytes: Vec<u8> = (0..w.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&w[i..i + 2], 16).expect("hex"))
                .collect();
            assert!(
                !files.windows(bytes.len()).any(|x| x == bytes.as_slice()),
                "a destroyed key is still in the database files"
            );
        }
    }
}

both_engines!(deleting_a_tenant_shreds_it);
