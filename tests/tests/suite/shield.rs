//! The shield in front of the API, tested through the real server: account lockout and per-IP
//! sign-in limits that a spoofed `X-Forwarded-For` cannot reset, per-device and per-IP rate limits
//! with `Retry-After`, a body-size cap on every route, caps on the request headers' size and
//! number (431 in the envelope), security headers and request IDs on every response, and slow
//! clients (slowloris) dropped while check-ins keep succeeding.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vestibule_tests::{
    Auth, Engine, Tenant, TestServer, api::visitor, load::all_visits, wait_until,
};

#[tokio::test]
async fn failed_logins_lock_and_spoofed_forwarding_changes_nothing() {
    let server = TestServer::start(Engine::Sqlite).await;
    let api = server.api();
    Tenant::setup(&api, &server.operator_token, "acme").await;
    let wrong =
        json!({"tenant": "acme", "email": "admin@acme.test", "password": "wrong password!!"});
    for i in 0..5 {
        let spoof = format!("198.51.100.{i}");
        let r = api
            .send(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                &Auth::None,
                Some(&wrong),
                &[("X-Forwarded-For", &spoof)],
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (401, "invalid_credentials"),
            "attempt {}: {}",
            i + 1,
            r.text
        );
    }
    let r = api
        .send(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            &Auth::None,
            Some(&wrong),
            &[("X-Forwarded-For", "203.0.113.77")],
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (429, "locked"),
        "the 6th failed login is refused: {}",
        r.text
    );
    assert!(r.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_client_address() {
    let server = TestServer::start_with(Engine::Sqlite, &["--sign-in-per-minute", "8"]).await;
    let api = server.api();
    let mut refused = None;
    for i in 0..12 {
        let spoof = format!("192.0.2.{i}"); // a different "client" each time, says the header
        // A different email each time too, so that no identity's lockout comes first.
        let bad = json!({"tenant": "nobody", "email": format!("a{i}@b.test"), "password": "whatever whatever"});
        let r = api
            .send(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                &Auth::None,
                Some(&bad),
                &[("X-Forwarded-For", &spoof)],
            )
            .await;
        if r.status == 429 {
            assert_eq!(r.code(), "rate_limited", "{}", r.text);
            let retry: u64 = r.headers["retry-after"]
                .to_str()
                .expect("ascii")
                .parse()
                .expect("seconds");
            assert!((1..=60).contains(&retry), "{retry}");
            refused = Some(i);
            break;
        }
    }
    assert_eq!(
        refused,
        Some(8),
        "the 9th attempt within a minute from one address is refused"
    );
}

#[tokio::test]
async fn a_device_token_is_rate_limited() {
    let server = TestServer::start_with(Engine::Sqlite, &["--rate-per-device", "2"]).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(
            api.get("/api/v1/kiosk/hosts?q=Har", &t.device)
                .await
                .status
                .as_u16(),
        );
    }
    assert!(
        statuses[..6].iter().all(|s| *s == 200),
        "a burst of 3× the rate passes: {statuses:?}"
    );
    assert!(
        statuses.contains(&429),
        "then the device is slowed down: {statuses:?}"
    );
    // Another device of the same tenant is not affected.
    let (_, code) = api.create_kiosk(&t.admin, &t.site).await;
    let other = api.enroll(&code).await;
    api.get("/api/v1/kiosk/hosts?q=Har", &other)
        .await
        .expect(200);
}

#[tokio::test]
async fn every_response_carries_security_headers_and_a_request_id() {
    let server = TestServer::start(Engine::Sqlite).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    let ok = api.get("/api/v1/visits", &t.admin).await;
    let missing = api.get("/api/v1/nothing-here", &Auth::None).await;
    let unauthorized = api.get("/api/v1/visits", &Auth::None).await;
    for r in [&ok, &missing, &unauthorized] {
        let h = &r.headers;
        assert_eq!(h["cache-control"], "no-store");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert!(
            h["strict-transport-security"]
                .to_str()
                .expect("ascii")
                .starts_with("max-age=")
        );
        assert!(
            h["content-security-policy"]
                .to_str()
                .expect("ascii")
                .contains("default-src 'none'")
        );
        assert!(!h.contains_key("server"), "no server banner");
        assert!(h.contains_key("x-request-id"));
    }
    // The error envelope names the request, and so does the log.
    let id = unauthorized.headers["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(unauthorized.body["error"]["request_id"], id.as_str());
    wait_until(
        "the request ID is in the server's log",
        Duration::from_secs(10),
        async || server.log().contains(&id).then_some(()),
    )
    .await;
}

#[tokio::test]
async fn bodies_are_capped_on_every_route() {
    let server = TestServer::start(Engine::Sqlite).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    let Auth::Bearer(token) = &t.admin else {
        panic!("a session")
    };
    // A route that reads no body at all still refuses one declared too large, before it is sent.
    for path in ["/healthz", "/api/v1/visits"] {
        let mut tls = server.raw_tls().await;
        let head = format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            4 * 1024 * 1024
        );
        tls.write_all(head.as_bytes()).await.expect("send the head");
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
        assert!(answer.contains("\"payload_too_large\""), "{path}: {answer}");
    }
    // JSON routes stop at 64 KiB.
    let big = json!({"name": "x".repeat(70 * 1024), "timezone": "UTC"});
    let r = api.post("/api/v1/sites", &t.admin, big).await;
    assert_eq!((r.status.as_u16(), r.code()), (413, "payload_too_large"));
}

#[tokio::test]
async fn too_many_or_too_large_request_headers_get_431_and_change_nothing() {
    let server = TestServer::start(Engine::Sqlite).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    let body = visitor(&t.host, "Hedda Headers", "hedda@example.com");
    let numbered: Vec<String> = (0..200).map(|i| format!("x-probe-{i}")).collect();
    let cases: [(&str, Vec<(&str, String)>); 3] = [
        (
            "one 20 KiB header",
            vec![("x-probe", "h".repeat(20 * 1024))],
        ),
        (
            "one 100 KiB header",
            vec![("x-probe", "h".repeat(100 * 1024))],
        ),
        (
            "200 small headers",
            numbered
                .iter()
                .map(|n| (n.as_str(), "1".to_owned()))
                .collect(),
        ),
    ];
    for (i, (what, extra)) in cases.iter().enumerate() {
        let key = format!("headers-{i}");
        let mut headers: Vec<(&str, &str)> = vec![("Idempotency-Key", &key)];
        headers.extend(extra.iter().map(|(n, v)| (*n, v.as_str())));
        let r = api
            .send(
                reqwest::Method::POST,
                "/api/v1/kiosk/visits",
                &t.device,
                Some(&body),
                &headers,
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (431, "headers_too_large"),
            "{what}: {}",
            r.text
        );
        assert!(
            r.body["error"]["request_id"].is_string(),
            "{what}: {}",
            r.text
        );
        assert!(!r.text.contains("Hedda"), "{what}: {}", r.text);
    }
    // Beyond hyper's own limits, hyper itself refuses (431, without the envelope) and closes.
    let mut tls = server.raw_tls().await;
    let many: String = (0..600).map(|i| format!("x-probe-{i}: 1\r\n")).collect();
    let head = format!("GET /healthz HTTP/1.1\r\nHost: localhost\r\n{many}\r\n");
    tls.write_all(head.as_bytes()).await.expect("send the head");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 431"), "600 headers: {answer}");

    // Nothing was checked in; an ordinary request, with the headers browsers send, still passes.
    assert!(
        all_visits(&api, &t.admin).await.is_empty(),
        "a refused check-in was recorded"
    );
    let ordinary = [
        (
            "User-Agent",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
        ),
        ("Accept-Language", "en-GB,en;q=0.9,de;q=0.8"),
        ("Idempotency-Key", "headers-ok"),
    ];
    let r = api
        .send(
            reqwest::Method::POST,
            "/api/v1/kiosk/visits",
            &t.device,
            Some(&body),
            &ordinary,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[tokio::test]
async fn a_slow_client_is_dropped_while_check_ins_go_on() {
    let server = TestServer::start_with(Engine::Sqlite, &["--header-timeout-secs", "3"]).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;

    // Slowloris: a TLS connection that sends its request one header byte a second.
    let mut tls = server.raw_tls().await;
    let slow = tokio::spawn(async move {
        let started = Instant::now();
        for b in b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: "
            .iter()
            .chain(b"a".repeat(60).iter())
        {
            if tls.write_all(&[*b]).await.is_err() || tls.flush().await.is_err() {
                return started.elapsed();
            }
            // The attack itself: one byte a second.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        panic!("the slow client was never dropped");
    });

    // Meanwhile visitors keep checking in.
    for i in 0..8 {
        let started = Instant::now();
        t.check_in(&api, &format!("slow-{i}"), "Normal Visitor")
            .await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "a check-in waited behind the slow client"
        );
        // Visitors arrive over the whole attack, not all at its start.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let dropped_after = slow.await.expect("slow client");
    assert!(
        dropped_after <= Duration::from_secs(8),
        "dropped after {dropped_after:?}"
    );
    println!("slowloris client dropped after {dropped_after:?}");
}
