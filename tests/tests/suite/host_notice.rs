//! What the kiosk may promise a visitor: the check-in answer's `host_notification` is `none`
//! while the tenant has no SMTP server (and no email bound to fail is queued), `queued` once it
//! has one (the email then arrives at a real SMTP server over TLS), the same for the override
//! mode's check-in, and a replay answers what the first answer said, whatever changed since.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use vestibule_tests::{
    Api, Auth, Engine, Tenant, TestServer,
    api::visitor,
    smtp::{SMTP_PASSWORD, SMTP_USER, SmtpMode, SmtpServer},
    world::PIN,
};

/// Checks a visitor in at the kiosk; returns the answer's `host_notification` and whether it
/// was a replay.
async fn check_in(api: &Api, t: &Tenant, key: &str, name: &str) -> (String, String) {
    let body = visitor(&t.host, name, "visitor@example.com");
    let r = api.check_in(&t.device, key, &body).await;
    let replayed = r.headers["idempotent-replayed"]
        .to_str()
        .expect("header")
        .to_owned();
    let answer = r.expect(201);
    (notice(&answer), replayed)
}

fn notice(answer: &Value) -> String {
    answer["host_notification"]
        .as_str()
        .unwrap_or_else(|| panic!("no host_notification in {answer}"))
        .to_owned()
}

/// Checks a visitor in through the override mode; returns the answer's `host_notification`.
async fn desk_check_in(api: &Api, t: &Tenant, desk: &Auth, key: &str) -> String {
    let body = visitor(&t.host, "Walk In", "walkin@example.com");
    let r = api
        .send(
            Method::POST,
            "/api/v1/kiosk/override/visits",
            desk,
            Some(&body),
            &[("Idempotency-Key", key)],
        )
        .await;
    notice(&r.expect(201))
}

/// The number of entries of the tenant's notification log.
async fn logged(api: &Api, t: &Tenant) -> u64 {
    api.get("/api/v1/notifications", &t.admin).await.expect(200)["total"]
        .as_u64()
        .expect("total")
}

async fn the_answer_says_whether_the_host_is_told(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "notice").await;

    // No SMTP server: nobody will be told, and no email is queued only to fail.
    assert_eq!(
        check_in(&api, &t, "before-1", "Nora Nobody").await,
        ("none".into(), "false".into())
    );
    assert_eq!(logged(&api, &t).await, 0, "nothing queued without SMTP");
    let desk = api.override_login(&t.device, &t.receptionist, PIN).await;
    assert_eq!(
        desk_check_in(&api, &t, &desk, "desk-1").await,
        "none",
        "override mode"
    );

    // A real SMTP server over TLS, its certificate trusted: the host will be told.
    let dir = server.data_dir.path().join("tls");
    let smtp = SmtpServer::start(
        SmtpMode::Tls,
        &dir.join("cert.pem"),
        &dir.join("key.pem"),
        0,
    )
    .await;
    let pem = String::from_utf8(server.cert_pem()).expect("PEM");
    let config = json!({
        "host": "localhost", "port": smtp.port, "security": "tls",
        "username": SMTP_USER, "password": SMTP_PASSWORD,
        "from_address": "reception@notice.test", "ca_pem": pem,
    });
    api.put("/api/v1/integrations/smtp", &t.admin, config)
        .await
        .expect(200);
    assert_eq!(
        check_in(&api, &t, "after-1", "Quentin Queued").await,
        ("queued".into(), "false".into())
    );
    let got = smtp.wait_for(1, Duration::from_secs(30)).await;
    assert!(got[0].contains("harriet@notice.test"), "{}", got[0]);
    assert_eq!(
        desk_check_in(&api, &t, &desk, "desk-2").await,
        "queued",
        "override mode"
    );
    smtp.wait_for(2, Duration::from_secs(30)).await;

    // A replay answers what its first answer said: still `none` now that SMTP is set...
    assert_eq!(
        check_in(&api, &t, "before-1", "Nora Nobody").await,
        ("none".into(), "true".into())
    );
    assert_eq!(
        desk_check_in(&api, &t, &desk, "desk-1").await,
        "none",
        "override replay"
    );
    // ...and still `queued` once it is gone, while a new check-in is told `none` again.
    assert_eq!(
        api.send(
            Method::DELETE,
            "/api/v1/integrations/smtp",
            &t.admin,
            None,
            &[]
        )
        .await
        .status,
        204
    );
    assert_eq!(
        check_in(&api, &t, "after-1", "Quentin Queued").await,
        ("queued".into(), "true".into())
    );
    assert_eq!(
        desk_check_in(&api, &t, &desk, "desk-2").await,
        "queued",
        "override replay"
    );
    assert_eq!(
        check_in(&api, &t, "after-2", "Nadia Nobody").await,
        ("none".into(), "false".into())
    );
    assert_eq!(logged(&api, &t).await, 2, "one email per told host");
}

both_engines!(the_answer_says_whether_the_host_is_told);
