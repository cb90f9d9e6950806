//! Tenant isolation, generated from the OpenAPI document so that a new route is covered the day it
//! is added: for every operation, tenant A's credential of the kind the route asks for (and A's
//! API key, where the route takes one) is pointed at tenant B's objects. Nothing of B may be read (no 200 on B's ids, no B id in any list) and
//! nothing of B may change (B's whole state is compared before and after).

use reqwest::Method;
use serde_json::{Value, json};
use vestibule_tests::{
    Auth, Engine, Tenant, TestServer,
    everything::{Everything, WRITTEN, state_of},
    world::PIN,
};

/// Routes that take no credential; each is checked separately below.
/// Routes without a credential. The SAML ones name their tenant in the path and answer only with
/// its public SP metadata or a login; `tests/tests/saml.rs` posts tenant A's response to B's ACS.
/// A visitor's pass revocation and a host's approval take a token whose secret only the email
/// holds (`passes.rs` and `visitor_types.rs` try a wrong one).
const PUBLIC: &[&str] = &[
    "/healthz",
    "/readyz",
    "/api/v1/openapi.json",
    "/api/v1/auth/login",
    "/api/v1/kiosk/enroll",
    "/api/v1/saml/{tenant_slug}/metadata",
    "/api/v1/saml/{tenant_slug}/login",
    "/api/v1/saml/{tenant_slug}/acs",
    "/api/v1/passes/revoke",
    "/api/v1/approvals",
    "/api/v1/approvals/lookup",
];

/// A valid body for each writing route, pointing at B's objects where it names any.
fn body_for(method: &Method, path: &str, b: &Tenant, b_kid: &str) -> Value {
    match (method.as_str(), path) {
        ("POST", "/api/v1/hosts") => {
            json!({"name": "Mallory", "email": "m@alpha.test", "site_id": b.site})
        }
        ("POST", "/api/v1/kiosks") => json!({"name": "Mallory", "site_id": b.site}),
        ("POST", "/api/v1/sites") => json!({"name": "Mallory", "timezone": "UTC"}),
        ("POST", "/api/v1/users") | ("POST", "/api/v1/operator/tenants/{id}/users") => {
            json!({"email": "admin@bravo.test", "name": "Mallory", "role": "admin", "password": "correct horse battery staple"})
        }
        ("POST", "/api/v1/operator/tenants") => {
            json!({"slug": "mallory", "name": "Mallory", "plan": "free"})
        }
        ("POST", "/api/v1/kiosk/visits") | ("POST", "/api/v1/kiosk/override/visits") => {
            vestibule_tests::api::visitor(&b.host, "Mallory", "m@example.com")
        }
        ("POST", "/api/v1/kiosk/visits/checkout") => json!({"badge_code": "22222222"}),
        ("POST", "/api/v1/invites") => {
            json!({"visitor": {"name": "Mallory", "email": "m@example.com"},
            "host_id": b.host, "site_id": b.site, "expected_at": chrono::Utc::now()})
        }
        ("POST", "/api/v1/kiosk/override") => json!({"email": b.receptionist, "pin": PIN}),
        ("PATCH", "/api/v1/visits/{id}") | ("PATCH", "/api/v1/kiosk/override/visits/{id}") => {
            json!({"name": "Mallory", "host_id": b.host})
        }
        ("POST", "/api/v1/agreements") | ("PUT", "/api/v1/agreements/{id}") => {
            json!({"name": "Mallory", "texts": {"en": {"title": "Mallory", "body": "Mallory"}}})
        }
        ("POST", "/api/v1/visitor-types") | ("PUT", "/api/v1/visitor-types/{id}") => {
            json!({"names": {"en": "Mallory"}, "site_ids": [b.site]})
        }
        ("POST", "/api/v1/sites/{id}/printers") => {
            json!({"name": "Mallory", "url": "ipp://127.0.0.1:9/ipp/print"})
        }
        // B's visitor's email: tenant A's admin must find and erase nothing of B.
        ("POST", "/api/v1/privacy/export") | ("POST", "/api/v1/privacy/erase") => {
            json!({"email": "visitor@example.com"})
        }
        ("POST", "/api/v1/webhooks") => json!({
            "url": "https://receiver.invalid/alpha", "kind": "standard", "events": ["visit.checked_in"],
        }),
        ("POST", "/api/v1/webhooks/{id}/rotate") => json!({"overlap_hours": 1}),
        ("POST", "/api/v1/watchlist") => json!({"name": "Mallory", "reason": "Tried to enter."}),
        ("POST", "/api/v1/kiosk/visits/sealed") => json!({
            "kid": b_kid, "enc": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "ciphertext": "AAAA", "sealed_at": chrono::Utc::now(),
        }),
        ("PATCH", _) => json!({"name": "Mallory"}),
        _ => json!({}),
    }
}

async fn tenant_a_cannot_touch_tenant_b(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let op = server.operator_token.clone();
    let a = Tenant::setup(&api, &op, "alpha").await;
    let b = Tenant::setup(&api, &op, "bravo").await;
    a.check_in(&api, "a-visit", "Anna Alpha").await;
    let a_override = api.override_login(&a.device, &a.receptionist, PIN).await;
    let all_scopes = [
        "visits:read",
        "invites:write",
        "hosts:write",
        "scim",
        "events:read",
    ];
    let (_, a_key) = api.create_api_key(&a.admin, "probe", &all_scopes).await;
    let e = Everything::make(&api, &b).await;

    // Every id of B, and B's personal data, must stay out of every answer to A.
    let mut secrets = vec![
        b.id.clone(),
        b.site.clone(),
        b.host.clone(),
        b.kiosk.clone(),
        e.visit.clone(),
        e.user.clone(),
        e.invite.clone(),
        e.pass.clone(),
        e.agreement.clone(),
        e.visitor_type.clone(),
        e.typed.clone(),
        e.watch.clone(),
        e.held.clone(),
        e.offline_kid.clone(),
        e.api_key.clone(),
        e.scim_user.clone(),
        e.webhook.clone(),
        e.delivery.clone(),
    ];
    secrets.extend(WRITTEN.iter().map(|s| (*s).to_owned()));
    secrets.extend([
        "sam@bravo.test".to_owned(),
        "harriet@bravo.test".to_owned(),
        "admin@bravo.test".to_owned(),
    ]);
    let before = state_of(&api, &b.admin, &b.site).await;

    let doc = api
        .get("/api/v1/openapi.json", &Auth::None)
        .await
        .expect(200);
    let paths = doc["paths"].as_object().expect("paths");
    let mut ops: Vec<(&String, &String, &Value)> = paths
        .iter()
        .flat_map(|(p, item)| {
            item.as_object()
                .expect("path item")
                .iter()
                .map(move |(m, o)| (p, m, o))
        })
        .collect();
    // Routes that end the caller's own credential go last.
    ops.sort_by_key(|(p, _, _)| p.ends_with("/logout") || p.ends_with("/exit"));
    let mut checked = 0;
    {
        // Every operation with A's credential of its kind, then again with A's API key of every
        // scope where the operation takes a key.
        let passes = [false, true]
            .into_iter()
            .flat_map(|by_key| ops.iter().map(move |op| (by_key, *op)));
        for (by_key, (path, method, op_doc)) in passes {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let schemes: Vec<&str> = op_doc["security"]
                .as_array()
                .map(|reqs| {
                    reqs.iter()
                        .flat_map(|r| {
                            r.as_object()
                                .expect("requirement")
                                .keys()
                                .map(String::as_str)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let auth = if by_key {
                if !schemes.contains(&"api_key") {
                    continue;
                }
                a_key.clone()
            } else if schemes.contains(&"override") {
                a_override.clone()
            } else if schemes.contains(&"device") {
                a.device.clone()
            } else if schemes.contains(&"session") || schemes.contains(&"operator") {
                // The operator's routes get a tenant admin's credential: it must not pass as the operator's.
                a.admin.clone()
            } else if schemes.contains(&"api_key") {
                continue; // a key's own route (SCIM): the second pass
            } else {
                assert!(
                    PUBLIC.contains(&path.as_str()),
                    "{method} {path} takes no credential and is not a known public route"
                );
                continue;
            };
            let target = match path.split('/').nth(3) {
                Some("operator") => b.id.clone(),
                Some("sites") => b.site.clone(),
                Some("hosts") => b.host.clone(),
                Some("kiosks") => b.kiosk.clone(),
                Some("users") => e.user.clone(),
                Some("invites") => e.invite.clone(),
                Some("passes") => e.pass.clone(),
                Some("agreements") => e.agreement.clone(),
                Some("visitor-types") => e.visitor_type.clone(),
                Some("printers") => e.printer.clone(),
                Some("evacuations") => e.evacuation.clone(),
                Some("watchlist") => e.watch.clone(),
                Some("api-keys") => e.api_key.clone(),
                Some("webhooks") => e.webhook.clone(),
                Some("Users") => e.scim_user.clone(),
                _ if path.ends_with("/hold") || path.ends_with("/admit") => e.held.clone(),
                // What a visit of a visitor type recorded, and its approval.
                _ if ["/record", "/photo", "/approve", "/deny", "/agreements/"]
                    .iter()
                    .any(|p| path.contains(p)) =>
                {
                    e.typed.clone()
                }
                _ => e.visit.clone(),
            };
            let mut url = path
                .replace("{id}", &target)
                .replace("{document_id}", &e.agreement)
                .replace("{visit_id}", &e.visit)
                .replace("{delivery}", &e.delivery);
            if path.ends_with("/badge") {
                // The printer B's badge would go to.
                url.push_str(&format!("?printer_id={}", e.printer));
            }
            if op_doc["responses"]["200"]["content"]
                .get("text/event-stream")
                .is_some()
            {
                // A stream that does not end: A's credential opens A's own stream (whose
                // content `console_api::live_events` checks holds none of B's changes).
                let Auth::Bearer(token) = &auth else {
                    panic!("{path}: a stream for a bearer")
                };
                let r = api
                    .client
                    .get(format!("{}{url}", api.base))
                    .bearer_auth(token)
                    .send()
                    .await
                    .expect("the stream");
                assert_eq!(r.status(), 200, "{method} {url}");
                checked += 1;
                continue;
            }
            let body = (method != Method::GET).then(|| body_for(&method, path, &b, &e.offline_kid));
            let r = api
                .send(
                    method.clone(),
                    &url,
                    &auth,
                    body.as_ref(),
                    &[("Idempotency-Key", "isolation-probe")],
                )
                .await;
            let status = r.status.as_u16();
            if path.contains("{id}") {
                assert!(
                    [401, 403, 404, 422].contains(&status),
                    "{method} {url} as tenant A answered {status}: {}",
                    r.text
                );
            } else {
                // Lists and creates act inside A (or are refused); what matters is no leak and no change to B.
                assert!(status < 500, "{method} {url} answered {status}: {}", r.text);
            }
            // What A itself sent may come back (A may have a user with the same email as one of B's).
            let sent = body.as_ref().map(Value::to_string).unwrap_or_default();
            for s in secrets.iter().filter(|s| !sent.contains(s.as_str())) {
                assert!(
                    !r.text.contains(s.as_str()),
                    "{method} {url} leaked B's {s}: {}",
                    r.text
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} operations checked");

    // Public routes: A's admin cannot sign in to B; B's data stays B's.
    let r = api
        .post(
            "/api/v1/auth/login",
            &Auth::None,
            json!({"tenant": "bravo", "email": "admin@alpha.test", "password": "correct horse battery staple"}),
        )
        .await;
    assert_eq!(r.status, 401);

    assert_eq!(
        state_of(&api, &b.admin, &b.site).await,
        before,
        "tenant B's data changed"
    );
    let pass_path = format!("/api/v1/visits/{}/pass", e.pass_visit);
    let pass = api.get(&pass_path, &b.admin).await.expect(200);
    assert_eq!(pass["state"], "requested", "tenant B's pass changed");
}

both_engines!(tenant_a_cannot_touch_tenant_b);
