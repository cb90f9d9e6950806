//! Guessing badge codes slows down: after ten unknown codes in a row a kiosk must wait before its
//! next check-out, 1 s doubling with each further miss up to 60 s, even for a right code; the wait
//! answers `429 rate_limited` with `Retry-After`, each wait is in the audit log and the metrics,
//! and a right code after the wait clears the count. The server runs in process and the test
//! moves its clock instead of waiting.

use chrono::Duration;
use serde_json::json;
use vestibule_tests::{Api, Auth, Engine, Resp, Tenant, TestServer, api::visitor};

const CHECKOUT: &str = "/api/v1/kiosk/visits/checkout";
/// A well-formed code no visit has (the test's visits get random ones).
const WRONG: &str = "ZZZZ2222";

async fn check_out(api: &Api, device: &Auth, code: &str) -> Resp {
    api.post(CHECKOUT, device, json!({"badge_code": code}))
        .await
}

fn retry_after(r: &Resp) -> u64 {
    r.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds")
}

async fn badge_guessing_backs_off(engine: Engine) {
    let (server, clock) =
        TestServer::start_in_process(engine, &["--rate-per-device", "1000"]).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    let visit = api
        .check_in(
            &t.device,
            "guessing",
            &visitor(&t.host, "Vera Visitor", "v@example.com"),
        )
        .await
        .expect(201);
    let badge = visit["badge_code"].as_str().expect("badge").to_owned();

    // Nine misses cost nothing; the tenth makes the kiosk wait 1 s.
    for n in 1..=10 {
        let r = check_out(&api, &t.device, WRONG).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (404, "not_found"),
            "miss {n}: {}",
            r.text
        );
    }
    // Each further miss doubles the wait, up to a minute; meanwhile even the right code waits.
    let mut waits = Vec::new();
    for _ in 0..8 {
        let r = check_out(&api, &t.device, &badge).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (429, "rate_limited"),
            "{}",
            r.text
        );
        let wait = retry_after(&r);
        waits.push(wait);
        clock.advance(Duration::seconds(wait as i64));
        let r = check_out(&api, &t.device, WRONG).await;
        assert_eq!(
            r.status, 404,
            "after the wait, a code is tried again: {}",
            r.text
        );
    }
    assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);

    // Another kiosk of the tenant is not slowed down.
    let (_, code) = api.create_kiosk(&t.admin, &t.site).await;
    let other = api.enroll(&code).await;
    assert_eq!(check_out(&api, &other, WRONG).await.status, 404);

    // The right code after the wait checks out and clears the count.
    clock.advance(Duration::seconds(60));
    assert_eq!(check_out(&api, &t.device, &badge).await.status, 204);
    for _ in 0..9 {
        assert_eq!(check_out(&api, &t.device, WRONG).await.status, 404);
    }
    // A count is forgotten 15 minutes after its last miss: nine more are free again.
    clock.advance(Duration::minutes(16));
    for _ in 0..9 {
        assert_eq!(check_out(&api, &t.device, WRONG).await.status, 404);
    }
    assert_eq!(check_out(&api, &t.device, WRONG).await.status, 404);
    assert_eq!(check_out(&api, &t.device, WRONG).await.status, 429);

    // Every wait is audited against the kiosk (9 in the first run of misses, 1 in the last)...
    let log = api
        .get("/api/v1/audit?limit=100", &t.admin)
        .await
        .expect(200);
    let target = format!("kiosk:{}", t.kiosk);
    let waits_audited = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "kiosk.checkout_backoff" && e["target"] == target.as_str())
        .count();
    assert_eq!(waits_audited, 10);
    // ...and counted in the metrics (which other tests of this process add to).
    let metrics = api
        .get("/metrics", &Auth::bearer(&server.operator_token))
        .await
        .text;
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in the metrics"))
    };
    assert!(value("vestibule_checkout_backoffs_total ") >= 10.0);
    assert!(value("vestibule_rate_limited_total{limit=\"checkout_backoff\"} ") >= 9.0);
}

both_engines!(badge_guessing_backs_off);
