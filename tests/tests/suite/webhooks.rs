//! Webhooks against a real HTTPS receiver (`tests/webhooks/receiver.py`): each event arrives
//! once, also with two replicas on PostgreSQL, signed so that the official `standardwebhooks`
//! library verifies it, during a secret rotation with both secrets; a receiver that is down gets
//! its event after it comes back; a slow one times out and holds up nothing; Slack and Teams
//! messages have their published shapes; and loopback, private, link-local and metadata
//! addresses are refused unless the operator allows their network.

use std::time::Duration;

use serde_json::{Value, json};
use vestibule_tests::{
    Api, Engine, Tenant, TestServer, api::visitor, wait_until, webhooks::WebhookReceiver,
};

use super::mail::cert_files;

/// A server that may reach the receiver on loopback and retries after 1 s.
async fn server(engine: Engine) -> TestServer {
    TestServer::start_with(
        engine,
        &[
            "--webhook-allow-network",
            "127.0.0.0/8,::1/128",
            "--webhook-retry-secs",
            "1",
        ],
    )
    .await
}

/// A `standard` webhook's body: `visit.checked_in` to `url`, trusting `pem`.
fn standard(url: impl Into<String>, pem: &str) -> Value {
    json!({"url": url.into(), "kind": "standard", "ca_pem": pem, "events": ["visit.checked_in"]})
}

/// Makes a webhook; returns its id and secret.
async fn create(api: &Api, t: &Tenant, body: Value) -> (String, Option<String>) {
    let r = api
        .post("/api/v1/webhooks", &t.admin, body)
        .await
        .expect(201);
    (
        r["id"].as_str().expect("id").to_owned(),
        r["secret"].as_str().map(str::to_owned),
    )
}

/// The webhook's delivery log, newest first.
async fn deliveries(api: &Api, t: &Tenant, hook: &str) -> Vec<Value> {
    api.get(&format!("/api/v1/webhooks/{hook}/deliveries"), &t.admin)
        .await
        .expect(200)["items"]
        .as_array()
        .expect("items")
        .clone()
}

/// Waits until the webhook has `n` deliveries, all of which satisfy `done`.
async fn wait_log(
    api: &Api,
    t: &Tenant,
    hook: &str,
    n: usize,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Vec<Value> {
    wait_until(
        &format!("{n} deliveries {what}"),
        Duration::from_secs(60),
        async || {
            let log = deliveries(api, t, hook).await;
            (log.len() == n && log.iter().all(&done)).then_some(log)
        },
    )
    .await
}

fn delivered(d: &Value) -> bool {
    d["status"] == "delivered"
}

async fn check_out(api: &Api, t: &Tenant, visit: &str) {
    api.post(
        &format!("/api/v1/visits/{visit}/checkout"),
        &t.admin,
        json!({}),
    )
    .await
    .expect(204);
}

/// Every event once, signed, with ids, site, host and times and no visitor; on PostgreSQL with
/// check-ins through two replicas, both of which run a sender.
async fn events_arrive_once_and_verify(engine: Engine) {
    let server = server(engine).await;
    let replica = match engine {
        Engine::Postgres => Some(server.replica().await),
        Engine::Sqlite => None,
    };
    let api = server.api();
    let other = replica
        .as_ref()
        .map_or_else(|| server.api(), |r| server.api_at(r.port));
    let t = Tenant::setup(&api, &server.operator_token, "hooks").await;
    let (cert, key, pem) = cert_files(&server);
    let receiver = WebhookReceiver::start(&cert, &key).await;
    let (hook, secret) = create(
        &api,
        &t,
        json!({"url": receiver.url("/standard"), "kind": "standard", "ca_pem": pem,
            "events": ["visit.checked_in", "visit.checked_out", "invite.created"]}),
    )
    .await;
    let secret = secret.expect("a standard webhook has a secret");
    assert!(secret.starts_with("whsec_"));
    let listed = api.get("/api/v1/webhooks", &t.admin).await.expect(200);
    assert!(
        listed[0].get("secret").is_none(),
        "the secret is shown once"
    );

    let first = t.check_in(&api, "hook-1", "Vera Visitor").await;
    t.check_in(&other, "hook-2", "Walt Visitor").await;
    t.check_in(&other, "hook-3", "Xena Visitor").await;
    check_out(&api, &t, &first).await;
    api.post(
        "/api/v1/invites",
        &t.admin,
        json!({"visitor": {"name": "Ivy Invited", "email": "ivy@example.com"},
            "host_id": t.host, "site_id": t.site, "expected_at": chrono::Utc::now()}),
    )
    .await
    .expect(201);

    let log = wait_log(&api, &t, &hook, 5, "delivered", delivered).await;
    assert!(log.iter().all(|d| d["last_status_code"] == 200));
    assert!(log.iter().all(|d| d["last_duration_ms"].is_i64()));
    let got = receiver.records();
    assert_eq!(got.len(), 5, "each event arrives once: {got:?}");
    let summary = receiver.check("standard", &[&secret]).await;
    let mut types: Vec<String> = summary["types"]
        .as_array()
        .expect("types")
        .iter()
        .map(|t| t.as_str().expect("type").to_owned())
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            "invite.created",
            "visit.checked_in",
            "visit.checked_in",
            "visit.checked_in",
            "visit.checked_out"
        ]
    );
    let ids: std::collections::HashSet<&str> = summary["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(ids.len(), 5, "a webhook-id per event");
    for r in &got {
        let body: Value = serde_json::from_str(r["body"].as_str().expect("body")).expect("JSON");
        let data = &body["data"];
        assert_eq!(data["site"]["id"], t.site.as_str());
        assert_eq!(data["host"]["id"], t.host.as_str());
        assert!(
            data.get("visitor").is_none(),
            "no visitor unless asked: {body}"
        );
        let text = r["body"].as_str().unwrap_or_default();
        assert!(
            !text.contains("Visitor") && !text.contains("ivy@"),
            "{text}"
        );
    }

    // Rotation: while the old secret overlaps, each delivery verifies with either secret.
    let rotated = api
        .post(
            &format!("/api/v1/webhooks/{hook}/rotate"),
            &t.admin,
            json!({"overlap_hours": 1}),
        )
        .await
        .expect(200);
    let new_secret = rotated["secret"].as_str().expect("secret").to_owned();
    assert_ne!(new_secret, secret);
    let r = api
        .post(
            &format!("/api/v1/webhooks/{hook}/test"),
            &t.admin,
            json!({}),
        )
        .await
        .expect(202);
    assert_eq!(r["event"], "webhook.test");
    wait_log(&api, &t, &hook, 6, "delivered", delivered).await;
    let got = receiver.records();
    let last = got.last().expect("the test event");
    let signatures = last["headers"]["webhook-signature"]
        .as_str()
        .expect("signed");
    assert_eq!(
        signatures.split(' ').count(),
        2,
        "both secrets sign: {signatures}"
    );
    receiver.check_last("standard", &[&secret]).await;
    receiver.check_last("standard", &[&new_secret]).await;
}

/// A receiver that is down gets the event after it comes back; a redirect is not followed.
async fn a_receiver_down_gets_it_later(engine: Engine) {
    let server = server(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "hookdown").await;
    let (cert, key, pem) = cert_files(&server);
    let mut receiver = WebhookReceiver::stopped(&cert, &key);
    let (hook, secret) = create(&api, &t, standard(receiver.url("/down"), &pem)).await;
    t.check_in(&api, "down-1", "Dora Down").await;
    let log = wait_log(&api, &t, &hook, 1, "tried and failed", |d| {
        d["status"] == "pending" && d["attempts"].as_i64() >= Some(1)
    })
    .await;
    assert!(
        log[0]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("connect")),
        "{log:?}"
    );
    receiver.restart().await;
    wait_log(&api, &t, &hook, 1, "delivered", delivered).await;
    assert_eq!(receiver.records().len(), 1);
    receiver
        .check("standard", &[&secret.expect("secret")])
        .await;

    // A receiver answering 302 is a failure: the sender does not follow it.
    let mut moved = WebhookReceiver::stopped(&cert, &key).with_status(302);
    moved.restart().await;
    let (hook, _) = create(&api, &t, standard(moved.url("/moved"), &pem)).await;
    api.post(
        &format!("/api/v1/webhooks/{hook}/test"),
        &t.admin,
        json!({}),
    )
    .await
    .expect(202);
    let log = wait_log(&api, &t, &hook, 1, "answered 302", |d| {
        d["last_status_code"] == 302
    })
    .await;
    assert_eq!(log[0]["status"], "pending", "{log:?}");
    // Redelivered by hand: the same delivery, tried again at once.
    let id = log[0]["id"].as_str().expect("id");
    let again = api
        .post(
            &format!("/api/v1/webhooks/{hook}/deliveries/{id}/redeliver"),
            &t.admin,
            json!({}),
        )
        .await
        .expect(202);
    assert_eq!(again["id"], id);
    assert_eq!(again["attempts"], 0);
}

/// A receiver that takes 10 s is cut off after the sender's timeout; check-ins meanwhile are
/// answered as ever.
#[tokio::test]
async fn a_slow_receiver_times_out_and_holds_up_nothing() {
    let server = server(Engine::Sqlite).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "hookslow").await;
    let (cert, key, pem) = cert_files(&server);
    let mut slow = WebhookReceiver::stopped(&cert, &key).with_delay(10);
    slow.restart().await;
    let (hook, _) = create(&api, &t, standard(slow.url("/slow"), &pem)).await;
    t.check_in(&api, "slow-1", "Sam Slow").await;
    // The delivery is in flight (the receiver got it and sits on it) ...
    slow.wait_for(1, Duration::from_secs(30)).await;
    // ... and check-ins go on meanwhile.
    for i in 2..6 {
        t.check_in(&api, &format!("slow-{i}"), "Sam Slow").await;
    }
    let log = deliveries(&api, &t, &hook).await;
    assert!(
        log.iter().all(|d| d["attempts"] == 0),
        "check-ins were answered while the first delivery was still waiting: {log:?}"
    );
    let log = wait_log(&api, &t, &hook, 5, "tried", |d| {
        d["attempts"].as_i64() >= Some(1)
    })
    .await;
    let first = log.last().expect("the first");
    assert_eq!(first["last_error"], "timed out", "{first}");
    let ms = first["last_duration_ms"].as_i64().expect("ms");
    assert!(
        (4_000..10_000).contains(&ms),
        "cut off at the timeout: {ms} ms"
    );
}

/// Slack's Block Kit and Teams' Adaptive Card, with the visitor when the webhook asks for it,
/// in the tenant's language.
#[tokio::test]
async fn slack_and_teams_messages_have_their_shapes() {
    let server = server(Engine::Sqlite).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "hookchat").await;
    let (cert, key, pem) = cert_files(&server);
    let slack = WebhookReceiver::start(&cert, &key).await;
    let teams = WebhookReceiver::start(&cert, &key).await;
    let events = json!([
        "visit.checked_in",
        "visit.checked_out",
        "visit.held",
        "evacuation.started"
    ]);
    let (slack_hook, secret) = create(
        &api,
        &t,
        json!({"url": slack.url("/services/T000/B000/XXXX"), "kind": "slack", "ca_pem": pem,
            "events": events, "include_visitor": true}),
    )
    .await;
    assert!(secret.is_none(), "Slack messages are not signed");
    let listed = api.get("/api/v1/webhooks", &t.admin).await.expect(200);
    let shown = listed[0]["url"].as_str().expect("url");
    assert!(
        !shown.contains("XXXX"),
        "a Slack URL is a credential: {shown}"
    );
    create(
        &api,
        &t,
        json!({"url": teams.url("/workflows/1/triggers/manual/paths/invoke?sig=abc"), "kind": "teams",
            "ca_pem": pem, "events": events}),
    )
    .await;
    api.patch("/api/v1/settings", &t.admin, json!({"language": "fr"}))
        .await
        .expect(200);
    api.post(
        "/api/v1/watchlist",
        &t.admin,
        json!({"name": "Hugo Held", "reason": "Test"}),
    )
    .await
    .expect(201);
    let visit = t.check_in(&api, "chat-1", "Chloé Chat").await;
    let held = visitor(&t.host, "Hugo Held", "hugo@example.com");
    api.check_in(&t.device, "chat-2", &held).await.expect(201);
    check_out(&api, &t, &visit).await;
    api.post(
        &format!("/api/v1/sites/{}/evacuations", t.site),
        &t.admin,
        json!({}),
    )
    .await
    .expect(201);
    let got = slack.wait_for(4, Duration::from_secs(60)).await;
    teams.wait_for(4, Duration::from_secs(60)).await;
    slack.check("slack", &[]).await;
    teams.check("teams", &[]).await;
    let texts: Vec<&str> = got.iter().filter_map(|r| r["body"].as_str()).collect();
    assert!(texts.iter().any(|b| b.contains("Chloé Chat")), "{texts:?}");
    assert!(
        texts.iter().any(|b| b.contains("retenu")),
        "held, in French: {texts:?}"
    );
    assert!(texts.iter().any(|b| b.contains("Évacuation")), "{texts:?}");
    let team_texts: Vec<String> = teams
        .records()
        .iter()
        .filter_map(|r| r["body"].as_str().map(str::to_owned))
        .collect();
    assert!(
        team_texts.iter().all(|b| !b.contains("Chloé")),
        "no visitor unless asked: {team_texts:?}"
    );
    wait_log(&api, &t, &slack_hook, 4, "delivered", delivered).await;
}

/// Without the operator's flag, loopback, private, link-local and metadata addresses, and a name
/// that resolves to loopback, are refused at connect time; `http://` is refused at once.
#[tokio::test]
async fn the_inside_is_refused_without_the_flag() {
    let server = TestServer::start_with(Engine::Sqlite, &["--webhook-retry-secs", "1"]).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "hookssrf").await;
    let (cert, key, pem) = cert_files(&server);
    let receiver = WebhookReceiver::start(&cert, &key).await;
    let port = receiver.port;
    let r = api
        .post(
            "/api/v1/webhooks",
            &t.admin,
            json!({"url": format!("http://localhost:{port}/"), "kind": "standard", "events": ["visit.checked_in"]}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let mut hooks = Vec::new();
    for url in [
        format!("https://127.0.0.1:{port}/"),
        format!("https://[::1]:{port}/"),
        format!("https://localhost:{port}/"),
        "https://10.0.0.1/".to_owned(),
        "https://169.254.169.254/latest/meta-data".to_owned(),
    ] {
        let (hook, _) = create(&api, &t, standard(&url, &pem)).await;
        api.post(
            &format!("/api/v1/webhooks/{hook}/test"),
            &t.admin,
            json!({}),
        )
        .await
        .expect(202);
        hooks.push((url, hook));
    }
    for (url, hook) in &hooks {
        let log = wait_log(&api, &t, hook, 1, "refused", |d| {
            d["attempts"].as_i64() >= Some(1)
        })
        .await;
        let error = log[0]["last_error"].as_str().unwrap_or_default();
        assert!(error.contains("not allowed"), "{url}: {error}");
    }
    assert!(
        receiver.records().is_empty(),
        "nothing reached the receiver"
    );
}

both_engines!(events_arrive_once_and_verify, a_receiver_down_gets_it_later);
