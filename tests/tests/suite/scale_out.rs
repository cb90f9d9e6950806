//! PostgreSQL operations: the database restarted under load (clear 503s while it is down, success
//! after, the server never restarted; `/readyz` not ready meanwhile), and two replicas on one
//! database, one killed under load, with clients that know both URLs (nothing acknowledged is lost,
//! nothing is written twice; lockouts, idempotency, the audit chain and the outbox claims hold
//! across replicas: each host email is sent once); and a schema owner that is no superuser.

use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::json;
use vestibule_tests::{
    Api, Auth, Engine, Tenant, TestServer, api::visitor, load::Load, private_pg::PrivatePg,
    wait_until,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_restart_under_load() {
    let pg = PrivatePg::start();
    let url = pg.create_db("vestibule").await;
    let mut server = TestServer::start_on_url(url, &[]).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "pgrestart").await;
    assert_eq!(
        api.get("/readyz", &Auth::None).await.expect(200)["status"],
        "ready"
    );

    let load = Load::start(
        vec![api.clone()],
        t.device.clone(),
        t.host.clone(),
        8,
        "pgr",
    );
    load.wait_for_progress(20).await;
    pg.stop();
    let down = Instant::now();
    // While it is down: a clear 503 in the envelope, for check-ins and for the readiness probe.
    let r = api
        .check_in(
            &t.device,
            "while-down",
            &visitor(&t.host, "Dora Down", "dora@example.com"),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (503, "unavailable"),
        "{}",
        r.text
    );
    assert!(r.headers.contains_key("retry-after"));
    let r = api.get("/readyz", &Auth::None).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (503, "unavailable"),
        "{}",
        r.text
    );
    assert_eq!(
        api.get("/healthz", &Auth::None).await.expect(200)["status"],
        "ok",
        "the process itself stays up"
    );
    println!(
        "503 answered {:.1} s after the stop",
        down.elapsed().as_secs_f64()
    );
    pg.start_again();
    let back = Instant::now();
    wait_until(
        "the server is ready after PostgreSQL came back",
        Duration::from_secs(30),
        async || (api.get("/readyz", &Auth::None).await.status == 200).then_some(()),
    )
    .await;
    println!(
        "ready again {:.1} s after PostgreSQL came back",
        back.elapsed().as_secs_f64()
    );
    load.wait_for_progress(20).await;
    let mut ledger = load.stop().await;
    println!(
        "acknowledged {}, other answers {:?}",
        ledger.acked.len(),
        ledger.statuses
    );
    assert!(
        ledger.statuses.get(&503).copied().unwrap_or(0) > 0,
        "the load saw no 503 while PostgreSQL was down"
    );
    assert!(
        ledger.statuses.keys().all(|s| *s == 503),
        "answers other than 201 and 503: {:?}",
        ledger.statuses
    );
    assert!(server.is_running(), "the server must not need a restart");
    ledger.settle(&api, &t.device, &t.host).await;
    // The check-in refused while the database was down goes through when sent again.
    let r = api
        .check_in(
            &t.device,
            "while-down",
            &visitor(&t.host, "Dora Down", "dora@example.com"),
        )
        .await;
    ledger.acked.insert(
        "while-down".into(),
        (
            r.expect(201)["visit_id"].as_str().expect("id").to_owned(),
            "Dora Down".into(),
        ),
    );
    ledger.verify(&api, &t.admin).await;
    server.kill().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_one_killed_under_load() {
    let server = TestServer::start(Engine::Postgres).await;
    let mut replica = server.replica().await;
    let (a, b) = (server.api(), server.api_at(replica.port));
    let t = Tenant::setup(&a, &server.operator_token, "replicas").await;

    let ida = across_replicas(&a, &b, &t).await;

    // Both replicas under load; one dies; the clients go on with the other.
    let load = Load::start(
        vec![a.clone(), b.clone()],
        t.device.clone(),
        t.host.clone(),
        12,
        "rep",
    );
    load.wait_for_progress(60).await;
    replica.kill().await;
    // Every client, those of the killed replica included, goes on with the other.
    load.wait_for_progress(60).await;
    let mut ledger = load.stop().await;
    println!(
        "acknowledged {}, other answers {:?}",
        ledger.acked.len(),
        ledger.statuses
    );
    assert!(
        ledger.statuses.get(&0).copied().unwrap_or(0) > 0,
        "the kill cut no request"
    );
    assert!(
        ledger.statuses.keys().all(|s| *s == 0),
        "unexpected answers: {:?}",
        ledger.statuses
    );
    ledger.settle(&a, &t.device, &t.host).await;
    ledger
        .acked
        .insert("same-key-both-replicas".into(), (ida, "Ida Twice".into()));
    ledger.verify(&a, &t.admin).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_send_each_email_once() {
    use vestibule_tests::smtp::{SMTP_PASSWORD, SMTP_USER, SmtpMode, SmtpServer};
    let server = TestServer::start_with(
        Engine::Postgres,
        &["--mail-retry-secs", "1", "--mail-lease-secs", "4"],
    )
    .await;
    let replica = server.replica().await;
    let (a, b) = (server.api(), server.api_at(replica.port));
    let t = Tenant::setup(&a, &server.operator_token, "mailreplicas").await;
    let dir = server.data_dir.path().join("tls");
    let smtp = SmtpServer::start(
        SmtpMode::Starttls,
        &dir.join("cert.pem"),
        &dir.join("key.pem"),
        0,
    )
    .await;
    let pem = String::from_utf8(server.cert_pem()).expect("PEM");
    let body = json!({
        "host": "localhost", "port": smtp.port, "security": "starttls", "username": SMTP_USER, "password": SMTP_PASSWORD,
        "from_address": "reception@replicas.test", "from_name": "Reception", "ca_pem": pem,
    });
    a.put("/api/v1/integrations/smtp", &t.admin, body)
        .await
        .expect(200);
    join_all((0..20).map(|i| {
        let api = if i % 2 == 0 { &a } else { &b };
        let (key, body) = (
            format!("mail-{i}"),
            visitor(&t.host, &format!("Replica Visitor {i}"), "rv@example.com"),
        );
        let device = &t.device;
        async move { api.check_in(device, &key, &body).await }
    }))
    .await
    .into_iter()
    .for_each(|r| assert_eq!(r.status, 201, "{}", r.text));
    let got = smtp.wait_for(20, Duration::from_secs(60)).await;
    // Once all 20 are marked sent, neither replica will send any of them again.
    wait_until(
        "all 20 notifications are marked sent",
        Duration::from_secs(30),
        async || {
            let n = a.get("/api/v1/notifications", &t.admin).await.expect(200);
            let items = n["items"].as_array().expect("items").clone();
            (items.len() == 20 && items.iter().all(|n| n["status"] == "sent")).then_some(())
        },
    )
    .await;
    let all = smtp.messages();
    assert_eq!(
        all.len(),
        20,
        "two replicas sent {} emails for 20 check-ins",
        all.len()
    );
    let ids: std::collections::HashSet<&str> = got
        .iter()
        .filter_map(|m| {
            m.lines()
                .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
        })
        .collect();
    assert_eq!(ids.len(), 20, "an email was sent twice");
}

/// The production layout's schema owner is no superuser, so row-level security binds it too: the
/// cross-tenant lookups it runs (SECURITY DEFINER) still find the kiosk and the webhook's tenant,
/// while the app role still sees only its tenant's rows.
#[tokio::test]
async fn a_schema_owner_that_is_no_superuser() {
    use sqlx::Connection as _;
    let db = vestibule_tests::TestDb::create_plainly_owned().await;
    let url = db.url.clone();
    let server = TestServer::start_on_url(url.clone(), &[]).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "plain").await;
    t.check_in(&api, "plain-1", "Paula Plain").await;
    api.post(
        "/api/v1/webhooks",
        &t.admin,
        json!({"url": "https://plain-receiver.invalid/hook", "kind": "slack",
            "events": ["visit.checked_in"]}),
    )
    .await
    .expect(201);
    let mut owner = sqlx::PgConnection::connect(&url).await.expect("connect");
    let due: i64 = sqlx::query_scalar("SELECT count(*) FROM webhook_tenants_due()")
        .fetch_one(&mut owner)
        .await
        .expect("webhook_tenants_due");
    assert_eq!(due, 1, "the webhook's tenant is due");
    sqlx::query("SET ROLE vestibule_app")
        .execute(&mut owner)
        .await
        .expect("set role");
    for table in ["kiosks", "sites", "visits", "webhooks"] {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&mut owner)
                .await
                .expect("count");
        assert_eq!(n, 0, "the app role sees no {table} row without a tenant");
    }
    drop(db);
}

/// What holds across replicas `a` and `b` (the same balancer twice, say): one idempotency key
/// sent to both at once makes one visit (returned), and failed logins on either count together
/// toward one lockout.
pub(crate) async fn across_replicas(a: &Api, b: &Api, t: &Tenant) -> String {
    // Idempotency across replicas: one key sent to both at once makes one visit.
    let body = visitor(&t.host, "Ida Twice", "ida@example.com");
    let both = join_all((0..10).map(|i| {
        let api = if i % 2 == 0 { a } else { b };
        api.check_in(&t.device, "same-key-both-replicas", &body)
    }))
    .await;
    let ids: std::collections::HashSet<String> = both
        .into_iter()
        .map(|r| r.expect(201)["visit_id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "one key made several visits across replicas: {ids:?}"
    );

    // Lockout across replicas: failures on either count together.
    let wrong = json!({"tenant": t.slug, "email": format!("admin@{}.test", t.slug), "password": "not the password"});
    for i in 0..5 {
        let api = if i % 2 == 0 { a } else { b };
        assert_eq!(
            api.post("/api/v1/auth/login", &Auth::None, wrong.clone())
                .await
                .status,
            401
        );
    }
    let r = b
        .post("/api/v1/auth/login", &Auth::None, wrong.clone())
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (429, "locked"), "{}", r.text);
    let r = a.post("/api/v1/auth/login", &Auth::None, wrong).await;
    assert_eq!((r.status.as_u16(), r.code()), (429, "locked"), "{}", r.text);

    ids.into_iter().next().expect("id")
}
