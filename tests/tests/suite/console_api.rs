//! What the admin console stands on, over real TLS against the real binary, on both engines:
//! the browser session (a `__Host-` cookie, never a token in the answer), CSRF on every
//! cookie-authenticated write, logout clearing the session, the console's files and their
//! CSP and caching, the live event stream (across two replicas on PostgreSQL), the dashboard's
//! figures and the visit log's exact-email filter.

use std::time::{Duration, Instant};

use reqwest::{Method, header};
use serde_json::json;
use vestibule_tests::{Api, Auth, Engine, Resp, Tenant, TestServer};

/// Signs `email` in with `"cookie": true`; returns the cookie pair (`name=value`) and the answer.
async fn cookie_login(api: &Api, slug: &str, email: &str) -> (String, Resp) {
    let r = api
        .post(
            "/api/v1/auth/login",
            &Auth::None,
            json!({"tenant": slug, "email": email, "password": "correct horse battery staple", "cookie": true}),
        )
        .await;
    let set = r
        .headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("a cookie login sets a cookie: {}", r.text))
        .to_owned();
    let pair = set.split(';').next().unwrap_or_default().to_owned();
    (pair, r)
}

/// A request with the browser session's cookie (and `csrf`, when given, in `X-CSRF-Token`).
async fn with_cookie(
    api: &Api,
    method: Method,
    path: &str,
    cookie: &str,
    csrf: Option<&str>,
    body: Option<serde_json::Value>,
) -> Resp {
    let mut headers = vec![("cookie", cookie)];
    if let Some(c) = csrf {
        headers.push(("x-csrf-token", c));
    }
    api.send(method, path, &Auth::None, body.as_ref(), &headers)
        .await
}

async fn browser_sessions(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "cookies").await;
    let email = "admin@cookies.test";

    // The session goes in a __Host- cookie only: HttpOnly, Secure, SameSite=Strict, Path=/.
    let (cookie, r) = cookie_login(&api, &t.slug, email).await;
    let set = r.headers[header::SET_COOKIE].to_str().expect("ascii");
    assert!(set.starts_with("__Host-vestibule_session=vss_"), "{set}");
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(set.split("; ").any(|f| f == flag), "{flag} missing: {set}");
    }
    assert!(!set.contains("Domain"), "{set}");
    let body = r.expect(200);
    assert!(
        body.get("token").is_none(),
        "no token in the answer: {body}"
    );
    assert!(body["expires_at"].is_string());

    // `/auth/me` gives the CSRF value; reads need nothing more.
    let me = with_cookie(&api, Method::GET, "/api/v1/auth/me", &cookie, None, None)
        .await
        .expect(200);
    assert_eq!(me["email"], email);
    let csrf = me["csrf_token"].as_str().expect("csrf token").to_owned();
    assert!(csrf.len() >= 40);

    // A cookie write without the header, or with a wrong one, is refused and changes nothing.
    let site = json!({"name": "Annex", "timezone": "Europe/Paris"});
    for sent in [None, Some("forged"), Some(&csrf[1..])] {
        let r = with_cookie(
            &api,
            Method::POST,
            "/api/v1/sites",
            &cookie,
            sent,
            Some(site.clone()),
        )
        .await;
        assert_eq!(r.status, 403, "{sent:?}: {}", r.text);
        assert_eq!(r.code(), "forbidden");
    }
    let sites = api.get("/api/v1/sites", &t.admin).await.expect(200);
    assert_eq!(sites.as_array().map(Vec::len), Some(1), "{sites}");
    // With it, the write goes through.
    with_cookie(
        &api,
        Method::POST,
        "/api/v1/sites",
        &cookie,
        Some(&csrf),
        Some(site),
    )
    .await
    .expect(201);
    // Bearer tokens are not a browser's: they need no CSRF value.
    api.post(
        "/api/v1/sites",
        &t.admin,
        json!({"name": "Lab", "timezone": "UTC"}),
    )
    .await
    .expect(201);
    // Another session of the same user has another value.
    let (other, _) = cookie_login(&api, &t.slug, email).await;
    let r = with_cookie(
        &api,
        Method::POST,
        "/api/v1/auth/logout",
        &other,
        Some(&csrf),
        None,
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text);

    // Logout ends the session server-side and clears the cookie.
    let r = with_cookie(
        &api,
        Method::POST,
        "/api/v1/auth/logout",
        &cookie,
        Some(&csrf),
        None,
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let cleared = r.headers[header::SET_COOKIE].to_str().expect("ascii");
    assert!(cleared.starts_with("__Host-vestibule_session=;") && cleared.contains("Max-Age=0"));
    let r = with_cookie(&api, Method::GET, "/api/v1/auth/me", &cookie, None, None).await;
    assert_eq!(r.status, 401);
}

async fn console_files(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let csp = "default-src 'self'; script-src 'self'; style-src 'self'; \
        img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
        frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
    // The console's page, at / and at every client route, never cached, with its own CSP.
    let mut assets = Vec::new();
    for path in ["/", "/visits", "/hosts/import"] {
        let r = api.get(path, &Auth::None).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(
            r.headers[header::CONTENT_TYPE]
                .to_str()
                .expect("ascii")
                .starts_with("text/html")
        );
        assert_eq!(r.headers[header::CONTENT_SECURITY_POLICY], csp, "{path}");
        assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
        assert!(
            !r.text.contains("<script>") && !r.text.contains("<style"),
            "no inline code"
        );
        assets = r
            .text
            .split('"')
            .filter(|s| s.starts_with("/assets/"))
            .map(str::to_owned)
            .collect();
    }
    // Its hashed files are cached for a year.
    assert!(!assets.is_empty(), "index.html names its assets");
    for a in &assets {
        let r = api.get(a, &Auth::None).await;
        assert_eq!(r.status, 200, "{a}");
        assert_eq!(
            r.headers[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
    }
    // A missing file or API route is the envelope's 404; a write to the console is a 405.
    for path in [
        "/assets/nothing-here.js",
        "/favicon-none.png",
        "/api/v1/nothing",
    ] {
        let r = api.get(path, &Auth::None).await;
        assert_eq!((r.status.as_u16(), r.code()), (404, "not_found"), "{path}");
    }
    let r = api.post("/visits", &Auth::None, json!({})).await;
    assert_eq!(r.status, 405, "{}", r.text);
}

/// Reads the event stream until `visit` events name each of `visit_ids`, in that order;
/// returns the time since `started`.
async fn wait_for_events(
    mut stream: reqwest::Response,
    visit_ids: &[&str],
    not: &[&str],
    started: Instant,
) -> Duration {
    let mut seen = String::new();
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(chunk) = stream.chunk().await.expect("the stream goes on") {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if visit_ids.iter().all(|id| seen.contains(id)) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(
        found,
        Ok(true),
        "no event for one of {visit_ids:?}; stream so far: {seen}"
    );
    let at: Vec<_> = visit_ids.iter().filter_map(|id| seen.find(id)).collect();
    assert!(at.is_sorted(), "events out of order: {seen}");
    let events = seen.matches("event: visit\ndata: {").count();
    assert!(events >= visit_ids.len(), "one event each: {seen}");
    assert!(!seen.contains("Vera"), "no names in events: {seen}");
    for id in not {
        assert!(
            !seen.contains(id),
            "another tenant's visit {id} in the stream: {seen}"
        );
    }
    started.elapsed()
}

async fn live_events(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "live").await;
    let other = Tenant::setup(&api, &server.operator_token, "elsewhere").await;
    // On PostgreSQL the console listens on another replica than the one the kiosk talks to.
    let replica = match engine {
        Engine::Postgres => Some(server.replica().await),
        Engine::Sqlite => None,
    };
    let watcher = replica
        .as_ref()
        .map_or_else(|| server.api(), |r| server.api_at(r.port));
    let subscribe = || async {
        let Auth::Bearer(token) = &t.admin else {
            unreachable!("a bearer")
        };
        let r = watcher
            .client
            .get(format!("{}/api/v1/events", watcher.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("the event stream");
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()[header::CONTENT_TYPE]
                .to_str()
                .expect("ascii")
                .starts_with("text/event-stream")
        );
        r
    };
    let stream = subscribe().await;
    // Another tenant's check-in is not seen; this tenant's is.
    let theirs = other.check_in(&api, "theirs", "Vera Elsewhere").await;
    let sent = Instant::now();
    let ours = t.check_in(&api, "ours", "Vera Visitor").await;
    let took = wait_for_events(stream, &[&ours], &[&theirs], sent).await;
    eprintln!("check-in → event on {engine:?}: {took:?}");
    // A burst of check-ins reaches the stream whole and in order (gathered into few writes).
    let stream = subscribe().await;
    let mut burst = Vec::new();
    for i in 0..12 {
        burst.push(t.check_in(&api, &format!("burst-{i}"), "Vera Burst").await);
    }
    let burst: Vec<&str> = burst.iter().map(String::as_str).collect();
    wait_for_events(stream, &burst, &[&theirs], Instant::now()).await;
    // A check-out is an event too.
    let stream = subscribe().await;
    api.post(
        &format!("/api/v1/visits/{ours}/checkout"),
        &t.admin,
        json!({}),
    )
    .await
    .expect(204);
    wait_for_events(stream, &[&ours], &[], Instant::now()).await;
    // Kiosks and the signed-out get nothing.
    let r = api.get("/api/v1/events", &t.device).await;
    assert_eq!(r.status, 401);
    let r = api.get("/api/v1/events", &Auth::None).await;
    assert_eq!(r.status, 401);
}

async fn dashboard_and_email_filter(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "figures").await;
    let first = t.check_in(&api, "one", "Vera One").await;
    t.check_in(&api, "two", "Vera Two").await;
    api.post(
        &format!("/api/v1/visits/{first}/checkout"),
        &t.admin,
        json!({}),
    )
    .await
    .expect(204);
    let s = api.get("/api/v1/visits/stats", &t.admin).await.expect(200);
    assert_eq!(
        (
            s["on_site"].as_i64(),
            s["checked_in_today"].as_i64(),
            s["checked_out_today"].as_i64()
        ),
        (Some(1), Some(2), Some(1)),
        "{s}"
    );
    let days = s["per_day"].as_array().expect("days");
    assert_eq!(days.len(), 30);
    assert_eq!(days[29]["count"], 2, "{s}");
    let hours: i64 = s["per_hour"]
        .as_array()
        .expect("hours")
        .iter()
        .filter_map(|h| h["count"].as_i64())
        .sum();
    assert_eq!(hours, 2);
    let site = api
        .get(
            &format!(
                "/api/v1/visits/stats?site_id={}&utc_offset_minutes=-300",
                t.site
            ),
            &t.admin,
        )
        .await
        .expect(200);
    assert_eq!(
        site["checked_in_today"].as_i64().unwrap_or(0)
            + site["per_day"][28]["count"].as_i64().unwrap_or(0),
        2,
        "{site}"
    );
    // Hours are the viewer's, on a clock half an hour off UTC's hours too.
    let log = api.get("/api/v1/visits", &t.admin).await.expect(200);
    let at: chrono::DateTime<chrono::Utc> = log["items"][0]["checked_in_at"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("a check-in time");
    let india = api
        .get("/api/v1/visits/stats?utc_offset_minutes=330", &t.admin)
        .await
        .expect(200);
    let hour = chrono::Timelike::hour(&(at + chrono::Duration::minutes(330)));
    assert!(
        india["per_hour"][hour as usize]["count"].as_i64() >= Some(1),
        "{india}"
    );
    for bad in [
        "utc_offset_minutes=900",
        "utc_offset_minutes=x",
        "site_id=nope",
    ] {
        let r = api
            .get(&format!("/api/v1/visits/stats?{bad}"), &t.admin)
            .await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
    }

    // The visit log finds a visitor by exact email through the blind index (case and spaces
    // normalised), and nobody else.
    let found = api
        .get("/api/v1/visits?email=VISITOR%40example.com", &t.admin)
        .await
        .expect(200);
    assert_eq!(found["total"], 2, "{found}");
    let none = api
        .get("/api/v1/visits?email=someone%40example.com", &t.admin)
        .await
        .expect(200);
    assert_eq!(none["total"], 0, "{none}");
    let r = api.get("/api/v1/visits?email=not-an-email", &t.admin).await;
    assert_eq!(r.status, 422, "{}", r.text);
}

/// The visit log pages by cursor: the pages of a walk hold every visit once, newest first, the
/// last page has no `next`, and a cursor that this list did not give is refused. A visit's own
/// history comes from the audit log.
async fn visit_log_paging(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "paging").await;
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(
            t.check_in(&api, &format!("p{i}"), &format!("Pat {i}"))
                .await,
        );
    }
    let (mut seen, mut after, mut pages) = (Vec::new(), String::new(), 0);
    loop {
        let page = api
            .get(&format!("/api/v1/visits?limit=2{after}"), &t.admin)
            .await
            .expect(200);
        assert_eq!(
            (page["total"].as_i64(), page.get("total_capped")),
            (Some(5), None),
            "{page}"
        );
        pages += 1;
        seen.extend(page["items"].as_array().expect("items").iter().map(|v| {
            let at = v["checked_in_at"]
                .as_str()
                .and_then(|s| s.parse::<chrono::DateTime<chrono::Utc>>().ok());
            (at, v["id"].as_str().unwrap_or_default().to_owned())
        }));
        match page["next"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => break,
        }
    }
    assert!(
        seen.windows(2).all(|w| w[0].0 >= w[1].0),
        "newest first: {seen:?}"
    );
    let mut ids: Vec<String> = seen.into_iter().map(|(_, id)| id).collect();
    ids.sort();
    made.sort();
    assert_eq!(
        (pages, ids),
        (3, made.clone()),
        "three pages holding each visit once"
    );
    for bad in [
        "nope",
        "1_00",
        "12_0123456789ABCDEF0123456789ABCDEF",
        "x_0123456789abcdef0123456789abcdef",
    ] {
        let r = api
            .get(&format!("/api/v1/visits?after={bad}"), &t.admin)
            .await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
    }

    api.post(
        &format!("/api/v1/visits/{}/checkout", made[0]),
        &t.admin,
        json!({}),
    )
    .await
    .expect(204);
    let history = api
        .get(&format!("/api/v1/visits/{}/history", made[0]), &t.admin)
        .await
        .expect(200);
    let actions: Vec<&str> = history
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["visit.check_in", "visit.check_out"], "{history}");
    let unknown = format!("/api/v1/visits/{}/history", uuid::Uuid::new_v4());
    assert_eq!(api.get(&unknown, &t.admin).await.status, 404);
}

both_engines!(
    browser_sessions,
    console_files,
    live_events,
    dashboard_and_email_filter,
    visit_log_paging
);
