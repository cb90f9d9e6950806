//! Running the server: graceful shutdown on SIGTERM (the request in flight completes, new
//! connections are refused, exit code 0, nothing acknowledged lost), the operator's Prometheus
//! metrics (the classic text format, which `promtool check metrics` must pass, or OpenMetrics when
//! asked for), JSON logs without personal data, and backup then restore of the SQLite database.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vestibule_tests::{
    Auth, Engine, Tenant, TestServer, api::visitor, load::all_visits, wait_until,
};

#[tokio::test]
async fn sigterm_finishes_the_request_in_flight_and_exits_0() {
    // At debug level, the log says when a request has reached the API.
    let mut server = TestServer::start_env(
        Engine::Sqlite,
        &[],
        vec![("VESTIBULE_LOG".into(), "debug".into())],
    )
    .await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "shutdown").await;
    let Auth::Bearer(device) = &t.device else {
        panic!("a device token")
    };
    let body = visitor(&t.host, "Ingrid Inflight", "ingrid@example.com").to_string();
    let (first, rest) = body.split_at(body.len() / 2);

    // A check-in whose body is still on its way when SIGTERM arrives.
    let mut tls = server.raw_tls().await;
    let head = format!(
        "POST /api/v1/kiosk/visits HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {device}\r\nIdempotency-Key: in-flight\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{first}",
        body.len()
    );
    let started = |log: &str| log.matches("started processing request").count();
    let before = started(&server.log());
    tls.write_all(head.as_bytes()).await.expect("write");
    tls.flush().await.expect("flush");
    wait_until(
        "the check-in reached the API",
        Duration::from_secs(10),
        async || (started(&server.log()) > before).then_some(()),
    )
    .await;
    server.sigterm().await;
    wait_until(
        "the stopping server refuses new connections",
        Duration::from_secs(10),
        async || {
            tokio::net::TcpStream::connect(("127.0.0.1", server.port))
                .await
                .is_err()
                .then_some(())
        },
    )
    .await;
    tls.write_all(rest.as_bytes())
        .await
        .expect("write the rest");
    tls.flush().await.expect("flush");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 201"),
        "the request in flight was not completed: {answer}"
    );
    let status = server.wait_exit().await;
    assert_eq!(status.code(), Some(0), "exit status after SIGTERM");
    assert!(
        server.log().contains("mail sender stopped"),
        "the mail sender did not stop cleanly"
    );

    server.restart().await;
    let api = server.api();
    let log = all_visits(&api, &t.admin).await;
    assert_eq!(
        log.values().collect::<Vec<_>>(),
        ["Ingrid Inflight"],
        "the acknowledged check-in survives the restart"
    );
}

/// Lints a scrape with Prometheus' own checker, `promtool check metrics` (which reads the
/// classic text format); it must find nothing.
fn promtool_check_metrics(scrape: &str) {
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool is installed (cargo xtask test installs Debian's prometheus)");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), scrape.as_bytes())
        .expect("send the scrape to promtool");
    let out = child.wait_with_output().expect("promtool");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool check metrics ({}):\n{said}\nthe scrape:\n{scrape}",
        out.status
    );
}

#[tokio::test]
async fn metrics_for_the_operator_only_and_json_logs_without_personal_data() {
    let env = vec![("VESTIBULE_LOG_FORMAT".to_owned(), "json".to_owned())];
    let server = TestServer::start_env(Engine::Sqlite, &["--sign-in-per-minute", "5"], env).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "metrics").await;
    for i in 0..3 {
        api.check_in(
            &t.device,
            &format!("m-{i}"),
            &visitor(&t.host, "Mallory Metrics", "mallory@example.com"),
        )
        .await
        .expect(201);
    }
    // Replays are not new check-ins.
    api.check_in(
        &t.device,
        "m-0",
        &visitor(&t.host, "Mallory Metrics", "mallory@example.com"),
    )
    .await
    .expect(201);
    let wrong =
        json!({"tenant": t.slug, "email": "nobody@metrics.test", "password": "wrong password"});
    let mut codes = Vec::new();
    for _ in 0..10 {
        let r = api
            .post("/api/v1/auth/login", &Auth::None, wrong.clone())
            .await;
        codes.push(r.code().to_owned());
        if r.code() == "rate_limited" {
            break;
        }
    }
    assert_eq!(
        codes.last().map(String::as_str),
        Some("rate_limited"),
        "sign-in attempts: {codes:?}"
    );

    assert_eq!(api.get("/metrics", &Auth::None).await.status, 401);
    assert_eq!(
        api.get("/metrics", &t.admin).await.status,
        401,
        "a tenant admin is not the operator"
    );
    let r = api
        .get("/metrics", &Auth::bearer(&server.operator_token))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.headers["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = r.text;
    promtool_check_metrics(&text);
    assert!(!text.contains("# EOF"), "OpenMetrics' end marker in 0.0.4");
    // Prometheus' own scraper asks for OpenMetrics, and gets it.
    let om = api
        .send(
            reqwest::Method::GET,
            "/metrics",
            &Auth::bearer(&server.operator_token),
            None,
            &[(
                "Accept",
                "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
            )],
        )
        .await;
    assert_eq!(
        om.headers["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert!(om.text.ends_with("\n# EOF\n"), "{}", om.text);
    assert!(
        om.text
            .contains("# TYPE vestibule_check_ins counter\nvestibule_check_ins_total 3\n")
    );
    for line in [
        r#"vestibule_http_requests_total{method="POST",route="/api/v1/kiosk/visits",status="201"} 4"#,
        "# TYPE vestibule_check_ins_total counter\nvestibule_check_ins_total 3\n",
        "# TYPE vestibule_http_requests_total counter\n",
        "# TYPE vestibule_rate_limited_total counter\n",
        r#"vestibule_rate_limited_total{limit="sign_in"} 1"#,
        "vestibule_outbox_depth ",
        "vestibule_outbox_oldest_age_seconds ",
        r#"vestibule_db_pool_connections{pool="sqlite_writer"} 1"#,
        r#"vestibule_db_pool_idle_connections{pool="sqlite_reader"}"#,
        "vestibule_commit_batch_size_count ",
        "vestibule_sqlite_log_copy_back_seconds_count ",
        "vestibule_http_request_duration_seconds_bucket{",
    ] {
        assert!(text.contains(line), "the metrics lack {line:?}:\n{text}");
    }
    assert!(
        !text.contains("Mallory") && !text.contains("mallory@"),
        "personal data in the metrics"
    );

    let log = server.log();
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() > 10, "too few log lines: {log}");
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        assert!(
            v["level"].is_string() && v["timestamp"].is_string(),
            "a log line without level or time: {line}"
        );
    }
    assert!(
        lines.iter().any(|l| l.contains("/api/v1/kiosk/visits")),
        "requests are logged by route"
    );
    assert!(
        !log.contains("Mallory") && !log.contains("mallory@"),
        "personal data in the logs"
    );
}

#[tokio::test]
async fn backup_then_restore() {
    let mut server = TestServer::start(Engine::Sqlite).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "restore").await;
    for i in 0..5 {
        t.check_in(&api, &format!("before-{i}"), &format!("Bea Before {i}"))
            .await;
    }
    let copy = server.data_dir.path().join("copy.db");
    let copy_arg = copy.display().to_string();
    let out = server.command(&["backup", "--out", &copy_arg]).await;
    assert!(out.contains("backup written"), "{out}");
    for i in 0..3 {
        t.check_in(&api, &format!("after-{i}"), &format!("Al After {i}"))
            .await;
    }

    // A data dir without the master key cannot restore it: nothing is left behind.
    let stranger = tempfile::tempdir().expect("tempdir");
    let out = tokio::process::Command::new(vestibule_tests::server::server_bin())
        .args(["restore", "--data-dir"])
        .arg(stranger.path())
        .args(["--from", &copy_arg])
        .output()
        .await
        .expect("run restore");
    assert!(
        !out.status.success(),
        "a restore without the master key must fail"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("master key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !stranger.path().join("vestibule.db").exists(),
        "a failed restore left a database behind"
    );

    // Over a live database it refuses; after moving the database away it restores.
    let out = server
        .command_child(&["restore", "--from", &copy_arg])
        .output()
        .await
        .expect("run restore");
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("exists"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.kill().await;
    let db = server.data_dir.path().join("vestibule.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::rename(
            format!("{}{suffix}", db.display()),
            format!("{}.old{suffix}", db.display()),
        );
    }
    let out = server.command(&["restore", "--from", &copy_arg]).await;
    assert!(out.contains("restored"), "{out}");
    server.restart().await;
    let api = server.api();
    let mut names: Vec<String> = all_visits(&api, &t.admin).await.into_values().collect();
    names.sort();
    assert_eq!(
        names,
        (0..5)
            .map(|i| format!("Bea Before {i}"))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        api.get("/api/v1/audit/verify", &t.admin).await.expect(200)["valid"],
        true
    );
    t.check_in(&api, "after-restore", "Rita Restored").await;
}
