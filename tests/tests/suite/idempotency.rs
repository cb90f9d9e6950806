//! Idempotent check-in: 20 concurrent replays of one `Idempotency-Key` make exactly one visit;
//! the same key with another body is refused and changes nothing.

use futures::future::join_all;
use vestibule_tests::{Engine, Tenant, TestServer, api::visitor};

async fn replays_make_one_visit(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "replay").await;
    let body = visitor(&t.host, "Ida Idem", "ida@example.com");

    let responses =
        join_all((0..20).map(|_| api.check_in(&t.device, "one-key-20-times", &body))).await;
    let mut ids: Vec<String> = responses
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", r.text);
            r.str("visit_id")
        })
        .collect();
    let badges: Vec<String> = responses.iter().map(|r| r.str("badge_code")).collect();
    ids.dedup();
    assert_eq!(ids.len(), 1, "replays returned different visits: {ids:?}");
    assert!(badges.iter().all(|b| *b == badges[0]));
    let fresh = responses
        .iter()
        .filter(|r| r.headers["idempotent-replayed"] == "false")
        .count();
    assert_eq!(fresh, 1, "exactly one request created the visit");

    let log = api.get("/api/v1/visits", &t.admin).await.expect(200);
    assert_eq!(log["total"], 1);

    // The same key with a different body is refused, and nothing changes.
    let other = visitor(&t.host, "Someone Else", "else@example.com");
    let r = api.check_in(&t.device, "one-key-20-times", &other).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "idempotency_mismatch"),
        "{}",
        r.text
    );
    assert_eq!(
        api.get("/api/v1/visits", &t.admin).await.expect(200)["total"],
        1
    );

    // A check-in without a key is refused.
    let r = api
        .post("/api/v1/kiosk/visits", &t.device, body.clone())
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "invalid_input"),
        "{}",
        r.text
    );
    assert_eq!(
        api.get("/api/v1/visits", &t.admin).await.expect(200)["total"],
        1
    );
}

both_engines!(replays_make_one_visit);
