//! Bad input gets a clear error in the contract's envelope and changes nothing: unknown fields,
//! oversize strings, wrong types, arrays for objects, broken JSON or data after it, bad UUIDs,
//! wrong content types, unknown, revoked or ended credentials, and a kiosk of tenant A naming a
//! host of tenant B (404, as if it did not exist).

use reqwest::Method;
use serde_json::{Value, json};
use vestibule_tests::{Api, Auth, Engine, Tenant, TestServer, api::visitor};

/// What a tenant has, counted: any change shows up here.
async fn snapshot(api: &Api, t: &Tenant) -> Value {
    let visits = api
        .get("/api/v1/visits?limit=200", &t.admin)
        .await
        .expect(200);
    let audit = api.get("/api/v1/audit?limit=1", &t.admin).await.expect(200);
    let sites = api.get("/api/v1/sites", &t.admin).await.expect(200);
    let hosts = api.get("/api/v1/hosts", &t.admin).await.expect(200);
    let users = api.get("/api/v1/users", &t.admin).await.expect(200);
    let kiosks = api.get("/api/v1/kiosks", &t.admin).await.expect(200);
    json!({"visits": visits["items"], "audit": audit["total"], "sites": sites, "hosts": hosts, "users": users, "kiosks": kiosks})
}

struct Case {
    name: &'static str,
    method: Method,
    path: String,
    auth: Auth,
    body: Option<String>,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
    status: u16,
    code: &'static str,
}

fn case(
    name: &'static str,
    method: Method,
    path: impl Into<String>,
    auth: &Auth,
    body: Value,
    status: u16,
    code: &'static str,
) -> Case {
    Case {
        name,
        method,
        path: path.into(),
        auth: auth.clone(),
        body: Some(body.to_string()),
        content_type: "application/json",
        headers: vec![("Idempotency-Key", format!("key-{}", name.replace(' ', "-")))],
        status,
        code,
    }
}

async fn bad_input_changes_nothing(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let a = Tenant::setup(&api, &server.operator_token, "alpha").await;
    let b = Tenant::setup(&api, &server.operator_token, "bravo").await;
    a.check_in(&api, "existing", "Olga Onsite").await;

    // Credentials that no longer work: a revoked kiosk, a logged-out session, an ended override.
    let (_, code) = api.create_kiosk(&a.admin, &a.site).await;
    let revoked = api.enroll(&code).await;
    let kiosks = api.get("/api/v1/kiosks", &a.admin).await.expect(200);
    let revoked_id = kiosks.as_array().expect("list").last().expect("kiosk")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    api.post(
        &format!("/api/v1/kiosks/{revoked_id}/revoke"),
        &a.admin,
        json!({}),
    )
    .await
    .expect(204);
    let ended = api.login("alpha", "admin@alpha.test").await;
    api.post("/api/v1/auth/logout", &ended, json!({}))
        .await
        .expect(204);
    let override_token = api
        .override_login(&a.device, &a.receptionist, vestibule_tests::world::PIN)
        .await;
    api.post("/api/v1/kiosk/override/exit", &override_token, json!({}))
        .await
        .expect(204);
    let forged = Auth::bearer(format!("vsd_{}_{}", a.id.replace('-', ""), "A".repeat(43)));

    let before_a = snapshot(&api, &a).await;
    let before_b = snapshot(&api, &b).await;

    let good = visitor(&a.host, "Valid Name", "valid@example.com");
    let mut unknown = good.clone();
    unknown["visitor"]["nickname"] = json!("x");
    let mut long_name = good.clone();
    long_name["visitor"]["name"] = json!("N".repeat(201));
    let mut long_email = good.clone();
    long_email["visitor"]["email"] = json!(format!("{}@example.com", "e".repeat(250)));
    let mut long_purpose = good.clone();
    long_purpose["purpose"] = json!("p".repeat(501));
    let mut bad_phone = good.clone();
    bad_phone["visitor"]["phone"] = json!("call me maybe");
    let mut wrong_type = good.clone();
    wrong_type["visitor"]["name"] = json!(42);
    let mut bad_host = good.clone();
    bad_host["host_id"] = json!("not-a-uuid");
    let mut control = good.clone();
    control["visitor"]["name"] = json!("Null\u{0000}Byte");
    let other_tenants_host = visitor(&b.host, "Valid Name", "valid@example.com");
    let post = Method::POST;
    let checkin = "/api/v1/kiosk/visits";

    let mut cases = vec![
        case(
            "unknown field",
            post.clone(),
            checkin,
            &a.device,
            unknown,
            422,
            "invalid_input",
        ),
        case(
            "name too long",
            post.clone(),
            checkin,
            &a.device,
            long_name,
            422,
            "invalid_input",
        ),
        case(
            "email too long",
            post.clone(),
            checkin,
            &a.device,
            long_email,
            422,
            "invalid_input",
        ),
        case(
            "purpose too long",
            post.clone(),
            checkin,
            &a.device,
            long_purpose,
            422,
            "invalid_input",
        ),
        case(
            "phone not a phone",
            post.clone(),
            checkin,
            &a.device,
            bad_phone,
            422,
            "invalid_input",
        ),
        case(
            "wrong type",
            post.clone(),
            checkin,
            &a.device,
            wrong_type,
            422,
            "invalid_input",
        ),
        case(
            "bad uuid in body",
            post.clone(),
            checkin,
            &a.device,
            bad_host,
            422,
            "invalid_input",
        ),
        case(
            "control character",
            post.clone(),
            checkin,
            &a.device,
            control,
            422,
            "invalid_input",
        ),
        case(
            "host of another tenant",
            post.clone(),
            checkin,
            &a.device,
            other_tenants_host,
            404,
            "not_found",
        ),
        case(
            "revoked kiosk",
            post.clone(),
            checkin,
            &revoked,
            good.clone(),
            401,
            "unauthorized",
        ),
        case(
            "forged device token",
            post.clone(),
            checkin,
            &forged,
            good.clone(),
            401,
            "unauthorized",
        ),
        case(
            "no credential",
            post.clone(),
            checkin,
            &Auth::None,
            good.clone(),
            401,
            "unauthorized",
        ),
        case(
            "session used as device",
            post.clone(),
            checkin,
            &a.admin,
            good.clone(),
            401,
            "unauthorized",
        ),
        case(
            "logged-out session",
            post.clone(),
            "/api/v1/sites",
            &ended,
            json!({"name": "X", "timezone": "UTC"}),
            401,
            "unauthorized",
        ),
        case(
            "ended override",
            post.clone(),
            "/api/v1/kiosk/override/visits",
            &override_token,
            good.clone(),
            401,
            "unauthorized",
        ),
        case(
            "site name too long",
            post.clone(),
            "/api/v1/sites",
            &a.admin,
            json!({"name": "s".repeat(121), "timezone": "UTC"}),
            422,
            "invalid_input",
        ),
        case(
            "bad time zone",
            post.clone(),
            "/api/v1/sites",
            &a.admin,
            json!({"name": "Annex", "timezone": "../etc/passwd"}),
            422,
            "invalid_input",
        ),
        case(
            "missing field",
            post.clone(),
            "/api/v1/sites",
            &a.admin,
            json!({"name": "Annex"}),
            422,
            "invalid_input",
        ),
        case(
            "site of another tenant",
            post.clone(),
            "/api/v1/hosts",
            &a.admin,
            json!({"name": "H", "email": "h@x.test", "site_id": b.site}),
            422,
            "invalid_input",
        ),
        case(
            "short password",
            post.clone(),
            "/api/v1/users",
            &a.admin,
            json!({"email": "u@x.test", "name": "U", "role": "admin", "password": "short"}),
            422,
            "invalid_input",
        ),
        case(
            "unknown role",
            post.clone(),
            "/api/v1/users",
            &a.admin,
            json!({"email": "u@x.test", "name": "U", "role": "root", "password": "long enough password"}),
            422,
            "invalid_input",
        ),
        case(
            "bad enrollment code",
            post.clone(),
            "/api/v1/kiosk/enroll",
            &Auth::None,
            json!({"enrollment_code": "AAAA-BBBB-CCCC-DDDD"}),
            401,
            "invalid_enrollment_code",
        ),
        case(
            "malformed enrollment code",
            post.clone(),
            "/api/v1/kiosk/enroll",
            &Auth::None,
            json!({"enrollment_code": "0000"}),
            422,
            "invalid_input",
        ),
        case(
            "bad badge code",
            post.clone(),
            "/api/v1/kiosk/visits/checkout",
            &a.device,
            json!({"badge_code": "!!"}),
            422,
            "invalid_input",
        ),
        case(
            "unknown badge code",
            post.clone(),
            "/api/v1/kiosk/visits/checkout",
            &a.device,
            json!({"badge_code": "ZZZZZZZZ"}),
            404,
            "not_found",
        ),
        case(
            "bad uuid in path",
            Method::PATCH,
            "/api/v1/sites/not-a-uuid",
            &a.admin,
            json!({"name": "X"}),
            422,
            "invalid_input",
        ),
        case(
            "other tenant's site",
            Method::PATCH,
            format!("/api/v1/sites/{}", b.site),
            &a.admin,
            json!({"name": "Mine now"}),
            404,
            "not_found",
        ),
        case(
            "bad paging",
            Method::GET,
            "/api/v1/visits?limit=100000",
            &a.admin,
            json!(null),
            422,
            "invalid_input",
        ),
        case(
            "unknown query parameter",
            Method::GET,
            "/api/v1/visits?sort=evil",
            &a.admin,
            json!(null),
            422,
            "invalid_input",
        ),
        case(
            "bad status filter",
            Method::GET,
            "/api/v1/visits?status=gone",
            &a.admin,
            json!(null),
            422,
            "invalid_input",
        ),
        case(
            "bad wrong login",
            post.clone(),
            "/api/v1/auth/login",
            &Auth::None,
            json!({"tenant": "alpha", "email": "admin@alpha.test", "password": "not the password"}),
            401,
            "invalid_credentials",
        ),
        case(
            "unknown route",
            Method::GET,
            "/api/v1/nothing-here",
            &a.admin,
            json!(null),
            404,
            "not_found",
        ),
        // serde's structs also read arrays; the contract takes objects only, at any depth.
        case(
            "array for an object",
            Method::PATCH,
            format!("/api/v1/sites/{}", a.site),
            &a.admin,
            json!([null, null]),
            422,
            "invalid_input",
        ),
        case(
            "array for a create",
            post.clone(),
            "/api/v1/sites",
            &a.admin,
            json!(["Annex", "UTC"]),
            422,
            "invalid_input",
        ),
        case(
            "array for a nested object",
            post.clone(),
            checkin,
            &a.device,
            json!({"visitor": ["Valid Name", "valid@example.com", null, null], "host_id": a.host}),
            422,
            "invalid_input",
        ),
    ];
    let mut trailing = case(
        "data after the JSON value",
        post.clone(),
        "/api/v1/sites",
        &a.admin,
        json!(null),
        400,
        "invalid_json",
    );
    trailing.body = Some(
        r#"{"name": "Annex", "timezone": "UTC"} {"name": "Annex 2", "timezone": "UTC"}"#.into(),
    );
    cases.push(trailing);
    let mut broken = case(
        "broken JSON",
        post.clone(),
        checkin,
        &a.device,
        json!(null),
        400,
        "invalid_json",
    );
    broken.body = Some("{\"visitor\": {".into());
    cases.push(broken);
    let mut not_json = case(
        "not JSON content type",
        post.clone(),
        checkin,
        &a.device,
        good.clone(),
        415,
        "invalid_json",
    );
    not_json.content_type = "text/plain";
    cases.push(not_json);
    let mut huge = case(
        "body over the limit",
        post.clone(),
        "/api/v1/kiosk/visits/checkout",
        &a.device,
        json!(null),
        413,
        "payload_too_large",
    );
    huge.body = Some(format!(
        "{{\"badge_code\": \"{}\"}}",
        "x".repeat(100 * 1024)
    ));
    cases.push(huge);
    let mut bad_key = case(
        "bad idempotency key",
        post.clone(),
        checkin,
        &a.device,
        good.clone(),
        422,
        "invalid_input",
    );
    bad_key.headers = vec![("Idempotency-Key", "spaces are not allowed".into())];
    cases.push(bad_key);

    for c in &cases {
        let mut req = api
            .client
            .request(c.method.clone(), format!("{}{}", api.base, c.path));
        req = match &c.auth {
            Auth::None => req,
            Auth::Bearer(t) => req.bearer_auth(t),
            Auth::Override { device, token } => {
                req.bearer_auth(device).header("X-Override-Token", token)
            }
        };
        if c.method != Method::GET {
            req = req
                .header("content-type", c.content_type)
                .body(c.body.clone().unwrap_or_default());
        }
        for (k, v) in &c.headers {
            req = req.header(*k, v);
        }
        let res = req.send().await.expect("sent");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert_eq!(
            (status, body["error"]["code"].as_str().unwrap_or("")),
            (c.status, c.code),
            "case {:?}: {text}",
            c.name
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "case {:?} has no message",
            c.name
        );
        assert!(
            !text.contains("Valid Name") && !text.contains("valid@example.com"),
            "case {:?} echoes personal data: {text}",
            c.name
        );
    }

    assert_eq!(snapshot(&api, &a).await, before_a, "tenant A changed");
    assert_eq!(snapshot(&api, &b).await, before_b, "tenant B changed");
}

both_engines!(bad_input_changes_nothing);
