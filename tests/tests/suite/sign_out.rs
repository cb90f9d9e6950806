//! The daily automatic sign-out with servers run in-process on a clock the test moves: at the
//! site's time everyone still on site is checked out at that time, marked automatic and audited
//! as `system`, exactly once (with two replicas on PostgreSQL); a visitor who came after it stays;
//! the next day's sign-out comes the next day; and one that fell due while every server was down
//! is done when one starts again; and across the daylight-saving changes of New York and Berlin
//! the sign-out keeps the site's time, once a day.

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

/// The clock moved to the daylight-saving changes of 2027 in New York and Berlin: on the day the
/// clocks skip the sign-out's time it happens just after the gap, and on the day they pass it
/// twice it happens the first time only (the visitor who came in between stays until the next
/// day's). Two replicas on PostgreSQL.
async fn the_sign_out_keeps_the_sites_time_across_dst(engine: Engine) {
    let flags = ["--sign-out-poll-secs", "1"];
    let (server, clock) = TestServer::start_in_process(engine, &flags).await;
    let _replica = match engine {
        Engine::Postgres => Some(server.replica_in_process().await),
        Engine::Sqlite => None,
    };
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "seasons").await;
    let utc = |s: &str| s.parse::<DateTime<Utc>>().expect("a time");
    let to = |at: &str| clock.advance(utc(at) - clock.now());
    let mut n = 0;
    let mut visitor = async || {
        n += 1;
        t.check_in(&api, &format!("v{n}"), &format!("Visitor Number{n}"))
            .await
    };
    let set = async |tz: &str, at: &str| {
        let admin = api.login("seasons", "admin@seasons.test").await;
        let body = json!({"timezone": tz, "auto_checkout_at": at});
        api.patch(&format!("/api/v1/sites/{}", t.site), &admin, body)
            .await
            .expect(200);
    };
    // A new tenant's site (in UTC) whose visitor is signed out at `hh_mm`: seeing them out shows
    // that the sign-out has looked at the clock's new time, for every site.
    let looked_at = async |slug: &str, at: &str, hh_mm: &str| {
        let m = Tenant::setup(&api, &server.operator_token, slug).await;
        let body = json!({"timezone": "UTC", "auto_checkout_at": hh_mm});
        api.patch(&format!("/api/v1/sites/{}", m.site), &m.admin, body)
            .await
            .expect(200);
        let id = m.check_in(&api, "marker", "Marker Visitor").await;
        to(at);
        let admin = api.login(slug, &format!("admin@{slug}.test")).await;
        signed_out(&api, &admin, &id).await;
    };
    let on_site = async |id: &str| {
        let admin = api.login("seasons", "admin@seasons.test").await;
        status(&api, &admin, id).await == "on_site"
    };
    let out_at = async |id: &str| {
        let admin = api.login("seasons", "admin@seasons.test").await;
        let v = signed_out(&api, &admin, id).await;
        assert_eq!(v["checked_out_auto"], true);
        v["checked_out_at"].as_str().map(utc)
    };

    // New York skips 02:00–03:00 on 14 March: 02:30 falls due at 03:30 EDT (07:30 UTC).
    set("America/New_York", "02:30").await;
    to("2027-03-14T07:20:00Z");
    let a = visitor().await;
    to("2027-03-14T07:31:00Z");
    assert_eq!(out_at(&a).await, Some(utc("2027-03-14T07:30:00Z")));
    // Berlin skips 02:00–03:00 on 28 March: 02:30 falls due at 03:30 CEST (01:30 UTC).
    set("Europe/Berlin", "02:30").await;
    to("2027-03-28T01:20:00Z");
    let b = visitor().await;
    to("2027-03-28T01:31:00Z");
    assert_eq!(out_at(&b).await, Some(utc("2027-03-28T01:30:00Z")));
    // Berlin passes 02:00–03:00 twice on 31 October: the first 02:30 (00:30 UTC) only.
    to("2027-10-31T00:20:00Z");
    let c = visitor().await;
    to("2027-10-31T00:31:00Z");
    assert_eq!(out_at(&c).await, Some(utc("2027-10-31T00:30:00Z")));
    let d = visitor().await;
    looked_at("marker-berlin", "2027-10-31T01:31:00Z", "01:31").await;
    assert!(on_site(&d).await, "the second 02:30 passed");
    to("2027-11-01T01:31:00Z");
    assert_eq!(
        out_at(&d).await,
        Some(utc("2027-11-01T01:30:00Z")),
        "not at the second 02:30"
    );
    // New York passes 01:00–02:00 twice on 7 November: the first 01:30 (05:30 UTC) only.
    set("America/New_York", "01:30").await;
    to("2027-11-07T05:20:00Z");
    let e = visitor().await;
    to("2027-11-07T05:31:00Z");
    assert_eq!(out_at(&e).await, Some(utc("2027-11-07T05:30:00Z")));
    let f = visitor().await;
    looked_at("marker-new-york", "2027-11-07T06:31:00Z", "06:31").await;
    assert!(on_site(&f).await, "the second 01:30 passed");
    to("2027-11-08T06:31:00Z");
    assert_eq!(
        out_at(&f).await,
        Some(utc("2027-11-08T06:30:00Z")),
        "not at the second 01:30"
    );
}

/// With the tenant's reminder on, the host of a visitor still on site gets one email that many
/// minutes before the sign-out (through a real SMTP server with TLS), and none for a visitor who
/// left; the sign-out follows at its time.
async fn hosts_hear_before_the_sign_out(engine: Engine) {
    let flags = ["--sign-out-poll-secs", "1", "--mail-retry-secs", "1"];
    let (server, clock) = TestServer::start_in_process(engine, &flags).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "reminded").await;
    let smtp = super::mail::tls_mail(&server, &api, &t).await;
    let r = api
        .patch(
            "/api/v1/settings",
            &t.admin,
            json!({"sign_out_reminder_minutes": 241}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    api.patch(
        "/api/v1/settings",
        &t.admin,
        json!({"sign_out_reminder_minutes": 30}),
    )
    .await
    .expect(200);
    let due = DateTime::<Utc>::from_timestamp(
        (clock.now() + Duration::hours(2)).timestamp() / 60 * 60,
        0,
    )
    .expect("a time");
    let body = json!({"timezone": "UTC", "auto_checkout_at": due.format("%H:%M").to_string()});
    api.patch(&format!("/api/v1/sites/{}", t.site), &t.admin, body)
        .await
        .expect(200);
    let ada = t.check_in(&api, "ada", "Ada Forgetful").await;
    let bob = t.check_in(&api, "bob", "Bob Leaves").await;
    api.post(
        &format!("/api/v1/visits/{bob}/checkout"),
        &t.admin,
        json!({}),
    )
    .await;
    let subject = |m: &String| super::mail::header(m, "Subject").unwrap_or_default();
    let reminders = || {
        smtp.messages()
            .into_iter()
            .filter(|m| subject(m).contains("still signed in"))
            .collect::<Vec<_>>()
    };

    clock.advance(due - clock.now() - Duration::minutes(29));
    let sent = wait_until(
        "the reminder",
        std::time::Duration::from_secs(30),
        async || Some(reminders()).filter(|r| !r.is_empty()),
    )
    .await;
    assert_eq!(
        subject(&sent[0]),
        "Ada Forgetful is still signed in at Headquarters"
    );
    assert_eq!(
        super::mail::header(&sent[0], "X-Envelope-To").as_deref(),
        Some("harriet@reminded.test")
    );
    let admin = api.login("reminded", "admin@reminded.test").await;
    assert_eq!(status(&api, &admin, &ada).await, "on_site");
    clock.advance(Duration::minutes(30));
    let admin = api.login("reminded", "admin@reminded.test").await;
    signed_out(&api, &admin, &ada).await;
    assert_eq!(reminders().len(), 1, "one reminder, none for Bob, who left");
}

both_engines!(
    hosts_hear_before_the_sign_out,
    everyone_left_on_site_is_signed_out_once_a_day,
    the_sign_out_keeps_the_sites_time_across_dst
);
