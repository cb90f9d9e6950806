//! API keys: the scope × route table, generated from the OpenAPI document like the isolation
//! test (a key of each scope against every operation: in exactly where the document lists its
//! scope, refused everywhere else), what a key does when it gets in (audited as itself, its
//! last use kept), that only `Authorization: Bearer` carries one, and that a revoked key fails
//! at once on every replica.

use reqwest::Method;
use serde_json::{Value, json};
use vestibule_tests::{Api, Auth, Engine, Tenant, TestServer};

const SCOPES: [&str; 5] = [
    "visits:read",
    "invites:write",
    "hosts:write",
    "scim",
    "events:read",
];

/// The scopes an operation's `api_key` security requirement lists.
fn key_scopes(op: &Value) -> Vec<String> {
    op["security"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["api_key"].as_array())
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

/// The status of one request, without reading a stream's body.
async fn status_of(api: &Api, method: &Method, url: &str, auth: &Auth) -> u16 {
    let Auth::Bearer(token) = auth else {
        panic!("a key is a bearer token")
    };
    let mut req = api
        .client
        .request(method.clone(), format!("{}{url}", api.base))
        .bearer_auth(token)
        .header("Idempotency-Key", "api-key-probe");
    if method != Method::GET {
        req = req.json(&json!({}));
    }
    req.send().await.expect("request sent").status().as_u16()
}

async fn scope_by_route_table(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "keys").await;
    let mut keys = Vec::new();
    for scope in SCOPES {
        keys.push((scope, api.create_api_key(&t.admin, scope, &[scope]).await.1));
    }
    let doc = api
        .get("/api/v1/openapi.json", &Auth::None)
        .await
        .expect(200);
    let (mut allowed, mut refused) = (0, 0);
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            if op["security"].as_array().is_none_or(|a| a.is_empty()) {
                continue; // a public route (the isolation test lists them)
            }
            let accepts = key_scopes(op);
            // Every path parameter an id no object has: a key let in meets a 404, not a 401/403.
            let url = path
                .split('/')
                .map(|seg| {
                    if seg.starts_with('{') {
                        "0190c0de-0000-7000-8000-000000000000"
                    } else {
                        seg
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            for (scope, key) in &keys {
                let status = status_of(&api, &method, &url, key).await;
                if accepts.iter().any(|s| s == scope) {
                    assert!(
                        ![401, 403].contains(&status) && status < 500,
                        "{method} {path} lists {scope} but a key of it got {status}"
                    );
                    allowed += 1;
                } else {
                    assert!(
                        [401, 403].contains(&status),
                        "{method} {path} does not list {scope} but a key of it got {status}"
                    );
                    refused += 1;
                }
            }
        }
    }
    // Every scope opens something (scim's routes are `/scim/v2/`).
    for scope in SCOPES.iter().filter(|s| **s != "scim") {
        let opened = doc["paths"]
            .as_object()
            .expect("paths")
            .values()
            .flat_map(|i| i.as_object().expect("path item").values())
            .any(|op| key_scopes(op).iter().any(|s| s == scope));
        assert!(opened, "no route takes a key of {scope}");
    }
    assert!(
        allowed >= 18 && refused > 400,
        "{allowed} allowed, {refused} refused"
    );
}

async fn a_key_does_its_work_as_itself(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "keyuse").await;
    let visit = t.check_in(&api, "k1", "Vic Visitor").await;
    let (hosts_id, hosts) = api
        .create_api_key(&t.admin, "HR directory", &["hosts:write"])
        .await;
    let (_, visits) = api
        .create_api_key(&t.admin, "SIEM", &["visits:read", "events:read"])
        .await;

    // The directory key keeps hosts, and is audited as itself.
    let host = api
        .post(
            "/api/v1/hosts",
            &hosts,
            json!({"name": "Nina New", "email": "nina@keyuse.test", "site_id": t.site}),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let audit = api
        .get("/api/v1/audit?limit=50", &t.admin)
        .await
        .expect(200);
    let actor = format!("api_key:{hosts_id}");
    assert!(
        audit["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["actor"] == actor.as_str() && e["target"] == format!("host:{host}").as_str()),
        "no audit entry by {actor}: {audit}"
    );
    // But it reads no visit, and the visits key changes no host.
    assert_eq!(api.get("/api/v1/visits", &hosts).await.status, 403);
    let r = api
        .post(
            "/api/v1/hosts",
            &visits,
            json!({"name": "Mallory", "email": "m@keyuse.test", "site_id": t.site}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.code(), "forbidden");
    let list = api.get("/api/v1/visits", &visits).await.expect(200);
    assert!(list.to_string().contains(&visit));
    let one = api
        .get(&format!("/api/v1/visits/{visit}"), &visits)
        .await
        .expect(200);
    assert_eq!(one["id"], visit.as_str());
    // Nothing of the console's own: no users, no keys, no sign-in state.
    for path in ["/api/v1/users", "/api/v1/api-keys", "/api/v1/auth/me"] {
        assert_eq!(api.get(path, &visits).await.status, 403, "{path}");
    }

    // The list shows each key's scopes and last use, never a secret.
    let listed = api.get("/api/v1/api-keys", &t.admin).await.expect(200);
    let listed = listed.as_array().expect("keys");
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|k| k.get("key").is_none()));
    let hr = listed
        .iter()
        .find(|k| k["id"] == hosts_id.as_str())
        .expect("hr");
    assert_eq!(hr["scopes"], json!(["hosts:write"]));
    assert!(hr["last_used_at"].is_string(), "{hr}");

    // Only as a bearer token: not in a cookie, not in the query.
    let Auth::Bearer(secret) = &visits else {
        panic!("bearer")
    };
    let r = api
        .client
        .get(format!("{}/api/v1/visits", api.base))
        .header("Cookie", format!("__Host-vestibule_session={secret}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 401);
    let r = api
        .get(
            &format!("/api/v1/visits?access_token={secret}"),
            &Auth::None,
        )
        .await;
    assert_eq!(r.status, 401);
    // Nor where a kiosk's device token goes.
    assert_eq!(api.get("/api/v1/kiosk/hosts", &visits).await.status, 401);

    // Refused bodies: no scope, an unknown scope, a blank name.
    for body in [
        json!({"name": "x", "scopes": []}),
        json!({"name": "x", "scopes": ["admin"]}),
        json!({"name": "", "scopes": ["scim"]}),
    ] {
        let r = api.post("/api/v1/api-keys", &t.admin, body.clone()).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
    }
    // A receptionist makes no key.
    let desk = api.login("keyuse", &t.receptionist).await;
    let r = api
        .post(
            "/api/v1/api-keys",
            &desk,
            json!({"name": "x", "scopes": ["scim"]}),
        )
        .await;
    assert_eq!(r.status, 403);
}

/// On two replicas: a key made on one works on the other, and once revoked on one it fails on
/// the other with the very next request.
#[tokio::test]
async fn a_revoked_key_fails_at_once_on_every_replica() {
    let server = TestServer::start(Engine::Postgres).await;
    let replica = server.replica().await;
    let (a, b) = (server.api(), server.api_at(replica.port));
    let t = Tenant::setup(&a, &server.operator_token, "keyrevoke").await;
    let (id, key) = a.create_api_key(&t.admin, "SIEM", &["visits:read"]).await;
    b.get("/api/v1/visits", &key).await.expect(200);
    a.send(
        Method::DELETE,
        &format!("/api/v1/api-keys/{id}"),
        &t.admin,
        None,
        &[],
    )
    .await
    .expect(204);
    let r = b.get("/api/v1/visits", &key).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(a.get("/api/v1/visits", &key).await.status, 401);
    let listed = b.get("/api/v1/api-keys", &t.admin).await.expect(200);
    assert!(listed[0]["revoked_at"].is_string());
    // Revoking twice finds nothing to revoke.
    let r = a
        .send(
            Method::DELETE,
            &format!("/api/v1/api-keys/{id}"),
            &t.admin,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 404);
}

both_engines!(scope_by_route_table, a_key_does_its_work_as_itself);
