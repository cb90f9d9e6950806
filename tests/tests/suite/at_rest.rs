//! Nothing personal is readable at rest: after a real check-in flow, the SQLite database, its
//! write-ahead log, a `backup` copy and the server's own log hold none of the visitor's (or
//! host's) details in UTF-8 or UTF-16; on PostgreSQL, no text or bytea column of any table does.
//! Stored password and PIN hashes are Argon2id at or above policy.

use std::process::Command;

use serde_json::json;
use sqlx::{AssertSqlSafe, Connection, Row};
use vestibule_tests::{Engine, Tenant, TestServer, server::server_bin, world::PIN};

const NAME: &str = "Zoë Quintessa-Marlowe";
const EMAIL: &str = "Zoe.Quintessa@Example.org";
const COMPANY: &str = "Quintessential Widgets GmbH";
const PHONE: &str = "+49 30 9876 5432";
const PURPOSE: &str = "Confidential merger talks";
const INVITED: &str = "Ottoline Vexworth-Pyle";
const INVITED_EMAIL: &str = "ottoline.vexworth@example.net";
const INVITED_COMPANY: &str = "Vexworth Holdings";
const NOTE: &str = "Bring the sealed envelope";

/// What must not be found: the visitor's, the invited visitor's and the staff's details, and the
/// invitation's code (`code`, in both forms).
fn needles(t: &Tenant, code: &str) -> Vec<String> {
    let mut n = vec![
        NAME,
        EMAIL,
        COMPANY,
        PHONE,
        PURPOSE,
        "Harriet Host",
        INVITED,
        INVITED_EMAIL,
        INVITED_COMPANY,
        NOTE,
        code,
    ]
    .into_iter()
    .map(str::to_owned)
    .collect::<Vec<_>>();
    n.extend([
        EMAIL.to_lowercase(),
        format!("harriet@{}.test", t.slug),
        t.receptionist.clone(),
        format!("admin@{}.test", t.slug),
        code.replace('-', ""),
    ]);
    n
}

fn encodings(s: &str) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("UTF-8", s.as_bytes().to_vec()),
        (
            "UTF-16LE",
            s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        ),
        (
            "UTF-16BE",
            s.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        ),
    ]
}

fn assert_absent(what: &str, hay: &[u8], needles: &[String]) {
    for n in needles {
        for (enc, bytes) in encodings(n) {
            assert!(
                !hay.windows(bytes.len()).any(|w| w == bytes.as_slice()),
                "{what} contains {n:?} in {enc}"
            );
        }
    }
}

/// A visitor's whole visit: check in with distinctive details, seen in override mode, checked out;
/// and an invited visitor checking in with their code. Returns the tenant and the code.
async fn visit(server: &TestServer) -> (Tenant, String) {
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    let body = json!({"visitor": {"name": NAME, "email": EMAIL, "company": COMPANY, "phone": PHONE}, "host_id": t.host, "purpose": PURPOSE});
    let badge = api.check_in(&t.device, "at-rest", &body).await.expect(201)["badge_code"]
        .as_str()
        .expect("badge")
        .to_owned();
    let override_token = api.override_login(&t.device, &t.receptionist, PIN).await;
    let on_site = api
        .get("/api/v1/kiosk/override/visits", &override_token)
        .await
        .expect(200);
    assert_eq!(
        on_site[0]["visitor_name"], NAME,
        "the server still reads what it stored"
    );
    assert_eq!(on_site[0]["visitor_phone"], PHONE);
    api.post(
        "/api/v1/kiosk/visits/checkout",
        &t.device,
        json!({"badge_code": badge}),
    )
    .await
    .expect(204);
    // The returning-visitor and login lookups work through the blind index.
    api.login(&t.slug, &format!("ADMIN@{}.TEST", t.slug.to_uppercase()))
        .await;
    let invite = json!({"visitor": {"name": INVITED, "email": INVITED_EMAIL, "company": INVITED_COMPANY},
        "host_id": t.host, "site_id": t.site, "expected_at": chrono::Utc::now(), "note": NOTE});
    let invite = api
        .post("/api/v1/invites", &t.admin, invite)
        .await
        .expect(201);
    let code = invite["code"].as_str().expect("code").to_owned();
    let body = json!({"invite_code": code});
    api.check_in(&t.device, "at-rest-invite", &body)
        .await
        .expect(201);
    (t, code)
}

fn assert_argon2_policy(hash: &str) {
    let params = hash
        .strip_prefix("$argon2id$v=19$")
        .expect("an Argon2id PHC string");
    let nums: Vec<u32> = params
        .split('$')
        .next()
        .expect("params")
        .split(',')
        .map(|kv| kv[2..].parse().expect("number"))
        .collect();
    assert!(
        nums[0] >= 19_456 && nums[1] >= 2 && nums[2] >= 1,
        "below policy: {hash}"
    );
}

#[tokio::test]
async fn sqlite_files_backup_and_server_log_hold_no_personal_data() {
    // At debug level, so that the log holds every request and query the flow makes.
    let server = TestServer::start_env(
        Engine::Sqlite,
        &[],
        vec![("VESTIBULE_LOG".into(), "debug".into())],
    )
    .await;
    let (t, code) = visit(&server).await;
    let dir = server.data_dir.path();
    let db = std::fs::read(dir.join("vestibule.db")).expect("database file");
    let wal = std::fs::read(dir.join("vestibule.db-wal")).expect("WAL file");
    assert!(!wal.is_empty(), "the WAL holds the recent writes");
    let backup = backup(&server, "backup.db");
    let copy = std::fs::read(&backup).expect("backup file");
    assert!(copy.len() > 4096);
    let needles = needles(&t, &code);
    assert_absent("vestibule.db", &db, &needles);
    assert_absent("vestibule.db-wal", &wal, &needles);
    assert_absent("the backup", &copy, &needles);
    assert_absent("the server log", server.log().as_bytes(), &needles);

    let mut conn =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", backup.display()))
            .await
            .expect("open backup");
    let rows = sqlx::query("SELECT password_hash, pin_hash FROM users")
        .fetch_all(&mut conn)
        .await
        .expect("users");
    assert_eq!(rows.len(), 2);
    for r in rows {
        assert_argon2_policy(&r.get::<String, _>(0));
        if let Some(pin) = r.get::<Option<String>, _>(1) {
            assert_argon2_policy(&pin);
        }
    }
    let visits: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM visits")
        .fetch_one(&mut conn)
        .await
        .expect("count");
    assert_eq!(
        visits, 2,
        "the backup is a full copy (the visit and the invited one)"
    );
}

/// A backup of a SQLite server's database by `vestibule-server backup`, named `name` in its data
/// directory.
fn backup(server: &TestServer, name: &str) -> std::path::PathBuf {
    let dir = server.data_dir.path();
    let backup = dir.join(name);
    let out = Command::new(server_bin())
        .args(["backup", "--data-dir"])
        .arg(dir)
        .arg("--out")
        .arg(&backup)
        .output()
        .expect("backup");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    backup
}

/// What a server stored, to scan: on SQLite its database file, its WAL and a backup made now;
/// on PostgreSQL every text and bytea column, one haystack per column.
pub(crate) async fn stored_bytes(server: &TestServer, engine: Engine) -> Vec<(String, Vec<u8>)> {
    if engine == Engine::Sqlite {
        let dir = server.data_dir.path();
        backup(server, "scan-backup.db");
        return ["vestibule.db", "vestibule.db-wal", "scan-backup.db"]
            .into_iter()
            .map(|f| (f.to_owned(), std::fs::read(dir.join(f)).unwrap_or_default()))
            .collect();
    }
    let url = &server.db.as_ref().expect("a database").url;
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .expect("connect as owner");
    let columns = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND data_type IN ('text', 'bytea', 'character varying')",
    )
    .fetch_all(&mut conn)
    .await
    .expect("columns");
    let mut out = Vec::new();
    for c in columns {
        let (table, column, kind): (String, String, String) = (c.get(0), c.get(1), c.get(2));
        let expr = if kind == "bytea" {
            format!("\"{column}\"")
        } else {
            format!("convert_to(\"{column}\", 'UTF8')")
        };
        let values: Vec<Option<Vec<u8>>> =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT {expr} FROM \"{table}\"")))
                .fetch_all(&mut conn)
                .await
                .expect("values");
        let hay: Vec<u8> = values.into_iter().flatten().flatten().collect();
        out.push((format!("{table}.{column}"), hay));
    }
    out
}

#[tokio::test]
async fn postgres_columns_hold_no_personal_data() {
    let server = TestServer::start(Engine::Postgres).await;
    let (t, code) = visit(&server).await;
    let columns = stored_bytes(&server, Engine::Postgres).await;
    assert!(columns.len() > 30, "every text and bytea column is scanned");
    let needles = needles(&t, &code);
    for (column, hay) in &columns {
        assert_absent(column, hay, &needles);
    }
    let url = &server.db.as_ref().expect("a database").url;
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .expect("connect as owner");
    let hashes: Vec<String> = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_all(&mut conn)
        .await
        .expect("hashes");
    hashes.iter().for_each(|h| assert_argon2_policy(h));
}
