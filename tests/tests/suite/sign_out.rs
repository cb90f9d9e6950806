//! The daily automatic sign-out with servers run in-process on a clock the test moves: at the
//! site's time everyone still on site is checked out at that time, marked automatic and audited
//! as `system`, exactly once (with two replicas on PostgreSQL); a visitor who came after it stays;
//! the next day's sign-out comes the next day; and one that fell due while every server was down
//! is done when one starts again. (The time of day across DST changes is `sign_out.rs`'s unit
//! test in the server.)

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use vestibule_tests::{Api, Auth, Engine, Tenant, TestServer, wait_until};

/// Waits until the visit `id` is checked out; returns it.
async fn signed_out(api: &Api, admin: &Auth, id: &str) -> Value {
    wait_until(
        "the automatic sign-out",
        std::time::Duration::from_secs(20),
        async || {
            let v = api
                .get(&format!("/api/v1/visits/{id}"), admin)
                .await
                .expect(200);
            (v["status"] == "checked_out").then_some(v)
        },
    )
    .await
}

async fn status(api: &Api, admin: &Auth, id: &str) -> Value {
    api.get(&format!("/api/v1/visits/{id}"), admin)
        .await
        .expect(200)["status"]
        .clone()
}

/// The visit's check-out entries in the audit log.
async fn history(api: &Api, admin: &Auth, id: &str) -> Vec<Value> {
    api.get(&format!("/api/v1/visits/{id}/history"), admin)
        .await
        .expect(200)
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "visit.check_out")
        .cloned()
        .collect()
}

async fn everyone_left_on_site_is_signed_out_once_a_day(engine: Engine) {
    let flags = ["--sign-out-poll-secs", "1"];
    let (mut server, clock) = TestServer::start_in_process(engine, &flags).await;
    let replica = match engine {
        Engine::Postgres => Some(server.replica_in_process().await),
        Engine::Sqlite => None,
    };
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "nightly").await;
    let login = async |api: &Api| api.login("nightly", "admin@nightly.test").await;

    // The sign-out at a minute two hours from now, in the site's time (UTC here).
    let due = DateTime::<Utc>::from_timestamp(
        (clock.now() + Duration::hours(2)).timestamp() / 60 * 60,
        0,
    )
    .expect("a time");
    let at = due.format("%H:%M").to_string();
    let site = api
        .patch(
            &format!("/api/v1/sites/{}", t.site),
            &t.admin,
            json!({"timezone": "UTC", "auto_checkout_at": at}),
        )
        .await
        .expect(200);
    assert_eq!(site["auto_checkout_at"], at.as_str());
    let ada = t.check_in(&api, "ada", "Ada Stays-Late").await;
    let bob = t.check_in(&api, "bob", "Bob Leaves").await;
    let r = api
        .post(
            &format!("/api/v1/visits/{bob}/checkout"),
            &t.admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);

    // Past the time: Ada is signed out at it, automatically, once; Bob's own check-out stands.
    clock.advance(Duration::hours(2) + Duration::minutes(1));
    let admin = login(&api).await;
    let v = signed_out(&api, &admin, &ada).await;
    assert_eq!(v["checked_out_auto"], true);
    let out_at = v["checked_out_at"]
        .as_str()
        .and_then(|s| s.parse::<DateTime<Utc>>().ok());
    assert_eq!(out_at, Some(due), "checked out at the site's time");
    let b = api
        .get(&format!("/api/v1/visits/{bob}"), &admin)
        .await
        .expect(200);
    assert_eq!(b["checked_out_auto"], false);
    let cara = t.check_in(&api, "cara", "Cara Later").await;
    clock.advance(Duration::minutes(30));
    assert_eq!(
        status(&api, &admin, &cara).await,
        "on_site",
        "came after the time"
    );

    // The next day's sign-out, the next day.
    clock.advance(Duration::hours(24));
    let admin = login(&api).await;
    signed_out(&api, &admin, &cara).await;
    // Every replica looked each second all along; Ada was signed out once, by the system.
    let outs = history(&api, &admin, &ada).await;
    assert_eq!(outs.len(), 1, "once: {outs:?}");
    assert_eq!(outs[0]["actor"], "system");

    // Every server down while the next one falls due: the first to start does it.
    let dan = t.check_in(&api, "dan", "Dan Overnight").await;
    if let Some(replica) = replica {
        replica.stop().await.expect("the replica stops");
    }
    server.kill().await;
    clock.advance(Duration::hours(24));
    server.restart().await;
    let api = server.api();
    let admin = login(&api).await;
    let v = signed_out(&api, &admin, &dan).await;
    assert_eq!(v["checked_out_auto"], true);
    assert_eq!(history(&api, &admin, &dan).await.len(), 1);
}

both_engines!(everyone_left_on_site_is_signed_out_once_a_day);
