//! Credentials that expire stop working: an enrollment code past its lifetime, a session past
//! its lifetime, an override token left idle. The server is started with short lifetimes.

use serde_json::json;
use vestibule_tests::{Engine, Tenant, TestServer, world::PIN};

async fn credentials_expire(engine: Engine) {
    let flags = ["--enrollment-ttl-secs", "2", "--session-ttl-secs", "3", "--override-idle-secs", "2"];
    let server = TestServer::start_with(engine, &flags).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    let (_, late_code) = api.create_kiosk(&t.admin, &t.site).await;
    let desk = api.override_login(&t.device, &t.receptionist, PIN).await;
    let session = api.login("acme", "admin@acme.test").await;
    api.get("/api/v1/kiosk/override/visits", &desk).await.expect(200);

    tokio::time::sleep(std::time::Duration::from_millis(3_500)).await;

    let r = api.post("/api/v1/kiosk/enroll", &vestibule_tests::Auth::None, json!({"enrollment_code": late_code})).await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "invalid_enrollment_code"), "{}", r.text);
    let r = api.get("/api/v1/kiosk/override/visits", &desk).await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "unauthorized"), "an idle override token ends");
    let r = api.get("/api/v1/sites", &session).await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "unauthorized"), "a session ends");
    // The device token does not expire; it is revoked instead.
    api.get("/api/v1/kiosk/hosts", &t.device).await.expect(200);
}

#[tokio::test]
async fn credentials_expire_on_sqlite() {
    credentials_expire(Engine::Sqlite).await;
}

#[tokio::test]
async fn credentials_expire_on_postgres() {
    credentials_expire(Engine::Postgres).await;
}
