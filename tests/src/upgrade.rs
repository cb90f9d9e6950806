//! Upgrade fixtures (`tests/fixtures/upgrade/<version>/`): a tenant with one of every kind of row,
//! made by the `vestibule-server` of that version on each engine and kept as the operator keeps a
//! backup (a `vestibule-server backup` of the SQLite file, a `pg_dump` of the PostgreSQL
//! database) beside its master key and what the tenant's people hold (logins, the kiosk's token,
//! the directory's API key) and saw (what the admin could list). [`make`] writes one (the
//! `make-upgrade-fixture` binary); [`open`] puts one back for a newer build to start on.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::process::Command;

use crate::{
    Api, Auth, Engine, Tenant, TestDb, TestServer,
    api::visitor,
    everything::{Everything, state_of},
    pg::admin_url,
    run_ok,
    world::PIN,
};

/// Where the fixtures of every version live.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/upgrade")
}

/// What a fixture's tenant holds and saw, for one engine (`<engine>.json`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Fixture {
    /// The `vestibule-server --version` that made it.
    pub version: String,
    pub slug: String,
    pub admin_email: String,
    pub receptionist: String,
    pub host: String,
    pub site: String,
    /// A visitor type with nothing to sign or approve.
    pub guest_type: String,
    pub device_token: String,
    pub scim_key: String,
    /// Visit ids and the names the log showed for them.
    pub visits: Vec<(String, String)>,
    /// `everything::state_of` as the admin saw it.
    pub state: Value,
}

fn name(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    }
}

fn bearer(auth: &Auth) -> String {
    match auth {
        Auth::Bearer(token) => token.clone(),
        other => panic!("a bearer credential, not {other:?}"),
    }
}

/// Makes the fixture of `engine` in `dir` with the server `VESTIBULE_SERVER_BIN` names.
pub async fn make(engine: Engine, dir: &Path) {
    let mut server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "bravo").await;
    // Ten years of retention, so that the fixture's visits outlive the test's future runs.
    api.patch(
        "/api/v1/settings",
        &t.admin,
        json!({"retention_days": 3650}),
    )
    .await
    .expect(200);
    let e = Everything::make(&api, &t).await;
    // A kind of visit with nothing to sign or approve, and a visit of it already over.
    let guest_type = api
        .post(
            "/api/v1/visitor-types",
            &t.admin,
            json!({"names": {"en": "Guest"}}),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let mut body = visitor(&t.host, "Gustav Gone", "gustav@example.com");
    body["visitor_type_id"] = json!(guest_type);
    let gone = api.check_in(&t.device, "b-gone", &body).await.expect(201)["visit_id"]
        .as_str()
        .expect("visit")
        .to_owned();
    api.post(
        &format!("/api/v1/visits/{gone}/checkout"),
        &t.admin,
        json!({}),
    )
    .await
    .expect(204);
    let state = state_of(&api, &t.admin, &t.site).await;
    let visits = state["/api/v1/visits?limit=200"]["items"]
        .as_array()
        .expect("visits")
        .iter()
        .map(|v| {
            (
                v["id"].as_str().expect("id").to_owned(),
                v["visitor_name"].as_str().expect("name").to_owned(),
            )
        })
        .collect();
    let version = String::from_utf8_lossy(
        &run_ok(Command::new(crate::server::server_bin()).arg("--version")).await,
    )
    .trim()
    .trim_start_matches("vestibule-server ")
    .to_owned();
    let fixture = Fixture {
        version,
        slug: t.slug.clone(),
        admin_email: format!("admin@{}.test", t.slug),
        receptionist: t.receptionist.clone(),
        host: t.host.clone(),
        site: t.site.clone(),
        guest_type,
        device_token: bearer(&t.device),
        scim_key: bearer(&e.scim_key),
        visits,
        state,
    };
    server.sigterm().await;
    assert!(server.wait_exit().await.success());
    let engine_name = name(engine);
    std::fs::copy(
        server.data_dir.path().join("master.key"),
        dir.join(format!("{engine_name}.key")),
    )
    .expect("copy the master key");
    match engine {
        Engine::Sqlite => {
            run_ok(
                Command::new(crate::server::server_bin())
                    .arg("backup")
                    .arg("--data-dir")
                    .arg(server.data_dir.path())
                    .arg("--out")
                    .arg(dir.join("sqlite.db")),
            )
            .await;
        }
        Engine::Postgres => {
            let url = server.db.as_ref().expect("a database").url.clone();
            let dump = run_ok(
                Command::new("pg_dump")
                    .args(["--no-owner", "--no-comments", "--dbname"])
                    .arg(url.replace("?sslmode=disable", "")),
            )
            .await;
            std::fs::write(dir.join("postgres.sql"), dump).expect("write the dump");
        }
    }
    let json = serde_json::to_string_pretty(&fixture).expect("json");
    std::fs::write(dir.join(format!("{engine_name}.json")), json + "\n")
        .expect("write the fixture");
}

/// Puts the fixture of `engine` in `dir` back as a new data dir (and PostgreSQL database), and
/// starts the server under test on it.
pub async fn open(engine: Engine, dir: &Path) -> (TestServer, Fixture) {
    let engine_name = name(engine);
    let fixture: Fixture = serde_json::from_slice(
        &std::fs::read(dir.join(format!("{engine_name}.json"))).expect("the fixture"),
    )
    .expect("a fixture");
    let data_dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        dir.join(format!("{engine_name}.key")),
        data_dir.path().join("master.key"),
    )
    .expect("copy the master key");
    std::fs::set_permissions(
        data_dir.path().join("master.key"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .expect("the master key is the owner's only");
    let db = match engine {
        Engine::Sqlite => {
            run_ok(
                Command::new(crate::server::server_bin())
                    .arg("restore")
                    .arg("--data-dir")
                    .arg(data_dir.path())
                    .arg("--from")
                    .arg(dir.join("sqlite.db")),
            )
            .await;
            None
        }
        Engine::Postgres => {
            let db = TestDb::create().await;
            // The role the server's queries run as is the cluster's, not the dump's.
            run_ok(Command::new("psql")
                .args(["-q", "-v", "ON_ERROR_STOP=1", "-c"])
                .arg(
                    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vestibule_app') \
                     THEN CREATE ROLE vestibule_app NOLOGIN; END IF; END $$",
                )
                .arg(admin_url()))
            .await;
            run_ok(
                Command::new("psql")
                    .args(["-q", "-v", "ON_ERROR_STOP=1", "-f"])
                    .arg(dir.join("postgres.sql"))
                    .arg(db.url.replace("?sslmode=disable", "")),
            )
            .await;
            Some(db)
        }
    };
    (TestServer::start_existing(data_dir, db).await, fixture)
}

impl Fixture {
    /// The tenant's admin, signed in again with the password the fixture was made with.
    pub async fn admin(&self, api: &Api) -> Auth {
        api.login(&self.slug, &self.admin_email).await
    }

    /// The receptionist's override session on the fixture's kiosk.
    pub async fn override_session(&self, api: &Api) -> Auth {
        api.override_login(&self.device(), &self.receptionist, PIN)
            .await
    }

    /// A walk-in's check-in body of the guest type, for the fixture's host.
    pub fn walk_in(&self, name: &str, email: &str) -> Value {
        let mut body = visitor(&self.host, name, email);
        body["visitor_type_id"] = json!(self.guest_type);
        body
    }

    pub fn device(&self) -> Auth {
        Auth::bearer(&self.device_token)
    }
}
