//! Credentials that expire stop working, at their lifetime and not before: an override token left
//! idle (each use gives it five more minutes, up to eight hours), a session after twelve hours, an
//! enrollment code after a day; the device token does not expire. The server runs in-process with
//! its default lifetimes, and the test moves its clock forward instead of waiting.

use chrono::Duration;
use serde_json::json;
use vestibule_tests::{Auth, Engine, Tenant, TestServer, world::PIN};

const ON_SITE: &str = "/api/v1/kiosk/override/visits";

async fn credentials_expire(engine: Engine) {
    let (server, clock) = TestServer::start_in_process(engine, &[]).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    let (_, code_in_time) = api.create_kiosk(&t.admin, &t.site).await;
    let (_, late_code) = api.create_kiosk(&t.admin, &t.site).await;
    let override_token = api.override_login(&t.device, &t.receptionist, PIN).await;
    let session = api.login("acme", "admin@acme.test").await;

    // An override token lives five minutes without use; each use starts them again.
    clock.advance(Duration::minutes(4));
    api.get(ON_SITE, &override_token).await.expect(200);
    clock.advance(Duration::minutes(4));
    api.get(ON_SITE, &override_token).await.expect(200);
    clock.advance(Duration::minutes(5) + Duration::seconds(1));
    let r = api.get(ON_SITE, &override_token).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (401, "unauthorized"),
        "an idle override token ends"
    );

    // However often it is used, an override token ends eight hours after the PIN was given.
    let busy = api.override_login(&t.device, &t.receptionist, PIN).await;
    let mut used_for = Duration::zero();
    while used_for < Duration::hours(8) - Duration::minutes(4) {
        clock.advance(Duration::minutes(4));
        used_for += Duration::minutes(4);
        api.get(ON_SITE, &busy).await.expect(200);
    }
    clock.advance(Duration::minutes(4));
    let r = api.get(ON_SITE, &busy).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (401, "unauthorized"),
        "an override token ends after eight hours"
    );

    // A session lasts twelve hours from sign-in, however much it is used.
    api.get("/api/v1/sites", &session).await.expect(200);
    clock.advance(Duration::hours(4));
    let r = api.get("/api/v1/sites", &session).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (401, "unauthorized"),
        "a session ends"
    );

    // An enrollment code is good for a day.
    api.enroll(&code_in_time).await;
    clock.advance(Duration::hours(12));
    let r = api
        .post(
            "/api/v1/kiosk/enroll",
            &Auth::None,
            json!({"enrollment_code": late_code}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (401, "invalid_enrollment_code"),
        "a day-old code is refused: {}",
        r.text
    );

    // The device token does not expire; it is revoked instead.
    api.get("/api/v1/kiosk/hosts", &t.device).await.expect(200);
}

both_engines!(credentials_expire);
