//! The `host` role: an employee who signs in sees their own visitors and nothing else, enforced
//! by the API. Generated from the OpenAPI document like the isolation test: a host's session is
//! sent to every operation, and only reading their own visits (the list, one visit, the
//! dashboard, the live stream) and their own session (`/auth/me`, logout) is allowed; every
//! other route answers 401, 403 or 404 and nothing changes. A host has no kiosk override.

use reqwest::Method;
use serde_json::json;
use vestibule_tests::{Auth, Engine, Tenant, TestServer, api::visitor, world::PIN};

/// What a host may do.
const HOST_MAY: &[(&str, &str)] = &[
    ("GET", "/api/v1/auth/me"),
    ("GET", "/api/v1/sites"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/visits"),
    ("GET", "/api/v1/visits/{id}"),
    ("GET", "/api/v1/visits/stats"),
    // The pass of their own visitor (404 for anyone else's visit, like the visit itself).
    ("GET", "/api/v1/visits/{id}/pass"),
    ("GET", "/api/v1/events"),
    // Their own invitations (checked in `invites.rs`).
    ("POST", "/api/v1/invites"),
    ("GET", "/api/v1/invites"),
    ("GET", "/api/v1/invites/{id}"),
    ("GET", "/api/v1/invites/hosts"),
    ("DELETE", "/api/v1/invites/{id}"),
    ("POST", "/api/v1/invites/import"),
    ("POST", "/api/v1/invites/{id}/resend"),
];

async fn hosts_see_only_their_visitors(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "hosting").await;
    // Harriet (the tenant's host) gets an account with the host role, by the admin, with a PIN
    // that must open no override.
    let harriet = "harriet@hosting.test";
    api.post(
        "/api/v1/users",
        &t.admin,
        json!({"email": harriet, "name": "Harriet Host", "role": "host",
               "password": "correct horse battery staple", "pin": PIN}),
    )
    .await
    .expect(201);
    let boris = api
        .create_host(&t.admin, &t.site, "Boris Board", "boris@hosting.test")
        .await;
    let hers = t.check_in(&api, "hers", "Vera Hers").await;
    let his = api
        .check_in(
            &t.device,
            "his",
            &visitor(&boris, "Victor His", "victor@example.com"),
        )
        .await
        .expect(201)["visit_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let host = api.login("hosting", harriet).await;
    let me = api.get("/api/v1/auth/me", &host).await.expect(200);
    assert_eq!(me["role"], "host");

    // Her visits, and only hers, in every read.
    let list = api.get("/api/v1/visits", &host).await.expect(200);
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["id"], hers.as_str());
    api.get(&format!("/api/v1/visits/{hers}"), &host)
        .await
        .expect(200);
    let r = api.get(&format!("/api/v1/visits/{his}"), &host).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let stats = api.get("/api/v1/visits/stats", &host).await.expect(200);
    assert_eq!(stats["on_site"], 1, "{stats}");
    let everyone = api.get("/api/v1/visits/stats", &t.admin).await.expect(200);
    assert_eq!(everyone["on_site"], 2);

    // Every other route, generated from the document, refuses her and changes nothing.
    let before = api
        .get("/api/v1/visits?limit=200", &t.admin)
        .await
        .expect(200);
    let doc = api
        .get("/api/v1/openapi.json", &Auth::None)
        .await
        .expect(200);
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("operations") {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            let allowed = HOST_MAY.contains(&(method.as_str(), path.as_str()));
            if !secured || allowed {
                continue;
            }
            let url = path
                .replace("{id}", &his)
                .replace("{tenant_slug}", "hosting")
                .replace("{document_id}", &uuid::Uuid::nil().to_string());
            let body = (method != Method::GET).then(|| json!({}));
            let r = api
                .send(
                    method.clone(),
                    &url,
                    &host,
                    body.as_ref(),
                    &[("Idempotency-Key", "host-probe")],
                )
                .await;
            assert!(
                [401, 403, 404].contains(&r.status.as_u16()),
                "{method} {url} as a host answered {}: {}",
                r.status,
                r.text
            );
            assert!(
                !r.text.contains("Victor His"),
                "{method} {url} leaked: {}",
                r.text
            );
            checked += 1;
        }
    }
    assert!(checked >= 25, "only {checked} operations checked");
    let after = api
        .get("/api/v1/visits?limit=200", &t.admin)
        .await
        .expect(200);
    assert_eq!(before, after, "a host changed a visit");

    // Her PIN opens no override on the kiosk: refused like a wrong PIN.
    let r = api
        .post(
            "/api/v1/kiosk/override",
            &t.device,
            json!({"email": harriet, "pin": PIN}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (401, "invalid_credentials"),
        "{}",
        r.text
    );

    // Her live stream carries her visitors' changes, not Boris's.
    let Auth::Bearer(token) = &host else {
        unreachable!("a bearer")
    };
    let mut stream = api
        .client
        .get(format!("{}/api/v1/events", api.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status(), 200);
    let his_too = api
        .check_in(
            &t.device,
            "his-2",
            &visitor(&boris, "Victor Again", "victor@example.com"),
        )
        .await
        .expect(201)["visit_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let hers_too = t.check_in(&api, "hers-2", "Vera Again").await;
    let mut seen = String::new();
    tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while let Some(chunk) = stream.chunk().await.expect("chunk") {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains(&hers_too) {
                break;
            }
        }
    })
    .await
    .expect("her visitor's event");
    assert!(
        !seen.contains(&his_too),
        "Boris's visit reached her stream: {seen}"
    );
}

both_engines!(hosts_see_only_their_visitors);
