//! Visitor passes over the real binary and a real SMTP server with TLS, on both engines: a
//! walk-in asks for a pass; it is emailed when the visit ends (the code in text and as a QR code
//! that `zbarimg` reads back, and a revocation link); at the kiosk the code alone stands for the
//! visitor's details, the kiosk learning only their first name; with an invitation today its host
//! is theirs without asking; another tenant's kiosk refuses it; staff see it on the visit and
//! revoke it; the visitor revokes it with the link; a revoked request is never issued; a pass
//! lasts its days to the minute.

use chrono::Duration;

use serde_json::{Value, json};
use vestibule_tests::{Api, Auth, Engine, Tenant, TestServer, smtp::SmtpServer, wait_until};

use super::mail::{header, read_email, server, tls_mail};

/// What follows `label: ` on a line of `text`.
fn after<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(label)?.strip_prefix(": "))
        .unwrap_or_else(|| panic!("no {label:?} in {text}"))
}

/// Waits for the pass email to `to`: its code as printed (which `zbarimg` must read back from its
/// QR code), and the token of its revocation link.
pub(crate) async fn wait_pass(smtp: &SmtpServer, to: &str) -> (String, String) {
    let email = wait_until(
        "the pass email",
        std::time::Duration::from_secs(30),
        async || {
            smtp.messages().into_iter().find(|m| {
                header(m, "X-Envelope-To").as_deref() == Some(to)
                    && header(m, "Subject").is_some_and(|s| s.starts_with("Your visitor pass for "))
            })
        },
    )
    .await;
    let read = read_email(&email);
    let text = read["text"].as_str().expect("a text part");
    let code = after(text, "Your pass").to_owned();
    assert_eq!(read["qr"], code.as_str(), "zbarimg read the QR code");
    let link = after(text, "No longer want it? Revoke it here");
    let token = link
        .split_once("/pass#")
        .expect("a /pass# link")
        .1
        .to_owned();
    (code, token)
}

/// A kiosk's greeting lookup of a pass code.
async fn lookup(api: &Api, device: &Auth, code: &str) -> vestibule_tests::Resp {
    api.post(
        "/api/v1/kiosk/passes/lookup",
        device,
        json!({"pass_code": code}),
    )
    .await
}

async fn pass_of(api: &Api, t: &Tenant, visit: &str) -> Value {
    api.get(&format!("/api/v1/visits/{visit}/pass"), &t.admin)
        .await
        .expect(200)
}

async fn walk_in(api: &Api, t: &Tenant, key: &str, name: &str, want_pass: bool) -> Value {
    let email = format!("{}@visitors.test", name.to_lowercase().replace(' ', "."));
    let body = json!({"visitor": {"name": name, "email": email, "company": "Difference Engines"},
        "host_id": t.host, "want_pass": want_pass});
    api.check_in(&t.device, key, &body).await.expect(201)
}

async fn check_out(api: &Api, t: &Tenant, visit: &Value) {
    let body = json!({"badge_code": visit["badge_code"]});
    let r = api
        .post("/api/v1/kiosk/visits/checkout", &t.device, body)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
}

async fn returning_visitors_check_in_with_their_pass(engine: Engine) {
    let server = server(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "passes").await;
    let smtp = tls_mail(&server, &api, &t).await;

    // Passes are off until the tenant sets how long they last.
    let kiosk = api
        .get("/api/v1/kiosk/settings", &t.device)
        .await
        .expect(200);
    assert_eq!(kiosk["passes"], false);
    let r = api
        .patch("/api/v1/settings", &t.admin, json!({"pass_days": 731}))
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "invalid_input"),
        "{}",
        r.text
    );
    let s = api
        .patch("/api/v1/settings", &t.admin, json!({"pass_days": 30}))
        .await
        .expect(200);
    assert_eq!(s["pass_days"], 30);
    let kiosk = api
        .get("/api/v1/kiosk/settings", &t.device)
        .await
        .expect(200);
    assert_eq!(kiosk["passes"], true);

    // Pat asks for one; it is issued and emailed when the visit ends.
    let first = walk_in(&api, &t, "pat-1", "Pat Returning", true).await;
    let first_id = first["visit_id"].as_str().expect("visit").to_owned();
    assert_eq!(pass_of(&api, &t, &first_id).await["state"], "requested");
    check_out(&api, &t, &first).await;
    let (code, token) = wait_pass(&smtp, "pat.returning@visitors.test").await;
    assert_eq!(code.len(), 19, "XXXX-XXXX-XXXX-XXXX: {code}");
    let pass = pass_of(&api, &t, &first_id).await;
    assert_eq!(
        (pass["state"].as_str(), pass["uses"].as_i64()),
        (Some("active"), Some(0)),
        "{pass}"
    );

    // At the kiosk the code stands for Pat: the kiosk learns the first name only.
    let typed = code.replace('-', "").to_lowercase();
    let hello = lookup(&api, &t.device, &typed).await;
    assert!(
        !hello.text.contains("Returning") && !hello.text.contains("visitors.test"),
        "{}",
        hello.text
    );
    assert_eq!(
        hello.expect(200),
        json!({"visitor_first_name": "Pat", "host_name": null})
    );
    let r = api
        .check_in(&t.device, "pat-2", &json!({"pass_code": code}))
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "invalid_input"),
        "a host is needed: {}",
        r.text
    );
    let body = json!({"pass_code": code, "host_id": t.host});
    let r = api.check_in(&t.device, "pat-3", &body).await;
    assert!(
        !r.text.contains("Returning") && !r.text.contains("Difference"),
        "{}",
        r.text
    );
    let second = r.expect(201);
    assert_eq!(second["visitor_first_name"], "Pat");
    let again = api.check_in(&t.device, "pat-3", &body).await;
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.expect(201)["visit_id"], second["visit_id"]);
    let second_id = second["visit_id"].as_str().expect("visit");
    let v = api
        .get(&format!("/api/v1/visits/{second_id}"), &t.admin)
        .await
        .expect(200);
    assert_eq!(
        (
            v["visitor_name"].as_str(),
            v["visitor_email"].as_str(),
            v["visitor_company"].as_str()
        ),
        (
            Some("Pat Returning"),
            Some("pat.returning@visitors.test"),
            Some("Difference Engines")
        )
    );
    check_out(&api, &t, &second).await;

    // Invited today: the invitation's host is Pat's without asking, and the invitation is used.
    let invite = api
        .post(
            "/api/v1/invites",
            &t.admin,
            json!({"visitor": {"name": "Pat Returning", "email": "Pat.Returning@visitors.test"},
                   "host_id": t.host, "site_id": t.site, "expected_at": chrono::Utc::now()}),
        )
        .await
        .expect(201);
    let hello = lookup(&api, &t.device, &code).await.expect(200);
    assert_eq!(hello["host_name"], "Harriet Host");
    let third = api
        .check_in(&t.device, "pat-4", &json!({"pass_code": code}))
        .await
        .expect(201);
    assert_eq!(third["host_name"], "Harriet Host");
    let invite = api
        .get(
            &format!("/api/v1/invites/{}", invite["id"].as_str().expect("id")),
            &t.admin,
        )
        .await
        .expect(200);
    assert_eq!(
        (invite["state"].as_str(), &invite["visit_id"]),
        (Some("checked_in"), &third["visit_id"])
    );
    let third_id = third["visit_id"].as_str().expect("visit");
    let pass = pass_of(&api, &t, third_id).await;
    assert_eq!(
        (pass["state"].as_str(), pass["uses"].as_i64()),
        (Some("active"), Some(2)),
        "the same person's pass: {pass}"
    );

    // Another tenant's kiosk does not know it.
    let other = Tenant::setup(&api, &server.operator_token, "elsewhere").await;
    let r = lookup(&api, &other.device, &code).await;
    assert_eq!(r.status, 404, "{}", r.text);

    // Pat revokes it with the link: a wrong secret or a malformed token changes nothing.
    let (head, _) = token.rsplit_once('.').expect("a token");
    let wrong = format!("{head}.{}", "A".repeat(43));
    let r = api
        .post(
            "/api/v1/passes/revoke",
            &Auth::None,
            json!({"token": wrong}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = api
        .post(
            "/api/v1/passes/revoke",
            &Auth::None,
            json!({"token": "nope"}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "invalid_input"),
        "{}",
        r.text
    );
    let r = api
        .post(
            "/api/v1/passes/revoke",
            &Auth::None,
            json!({"token": token}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(pass_of(&api, &t, &first_id).await["state"], "revoked");
    let r = lookup(&api, &t.device, &code).await;
    assert_eq!(r.status, 404, "a revoked pass greets nobody: {}", r.text);

    // Staff revoke Quinn's request before the visit ends: no pass is ever issued.
    let quinn = walk_in(&api, &t, "quinn-1", "Quinn Once", true).await;
    let quinn_id = quinn["visit_id"].as_str().expect("visit");
    let pass = pass_of(&api, &t, quinn_id).await;
    let r = api
        .post(
            &format!("/api/v1/passes/{}/revoke", pass["id"].as_str().expect("id")),
            &t.admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    check_out(&api, &t, &quinn).await;
    let v = api
        .get(&format!("/api/v1/visits/{quinn_id}"), &t.admin)
        .await
        .expect(200);
    assert_eq!(v["status"], "checked_out");
    assert_eq!(pass_of(&api, &t, quinn_id).await["state"], "revoked");
    // One email only, Pat's (none to Quinn); and a visitor who never asked has no pass.
    assert!(
        smtp.messages().iter().all(|m| !m.contains("quinn.once")),
        "Quinn got an email"
    );
    let plain = walk_in(&api, &t, "rae-1", "Rae Plain", false).await;
    let r = api
        .get(
            &format!(
                "/api/v1/visits/{}/pass",
                plain["visit_id"].as_str().expect("visit")
            ),
            &t.admin,
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
}

/// A pass is good for the tenant's number of days from its issue, and not a minute more (the
/// server runs in-process and the test moves its clock).
async fn a_pass_lasts_its_days(engine: Engine) {
    let (server, clock) = TestServer::start_in_process(engine, &["--mail-retry-secs", "1"]).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "lasting").await;
    let smtp = tls_mail(&server, &api, &t).await;
    api.patch("/api/v1/settings", &t.admin, json!({"pass_days": 2}))
        .await
        .expect(200);
    let visit = walk_in(&api, &t, "lee-1", "Lee Lasting", true).await;
    check_out(&api, &t, &visit).await;
    let (code, _) = wait_pass(&smtp, "lee.lasting@visitors.test").await;
    let greets = async || lookup(&api, &t.device, &code).await.status.as_u16();
    assert_eq!(greets().await, 200);
    clock.advance(Duration::days(2) - Duration::minutes(1));
    assert_eq!(greets().await, 200, "good until its last minute");
    clock.advance(Duration::minutes(2));
    assert_eq!(greets().await, 404, "and no longer");
    // (The admin's session of two days ago has ended too: a new one.)
    let admin = api.login("lasting", "admin@lasting.test").await;
    let path = format!(
        "/api/v1/visits/{}/pass",
        visit["visit_id"].as_str().expect("visit")
    );
    assert_eq!(api.get(&path, &admin).await.expect(200)["state"], "expired");
}

both_engines!(
    returning_visitors_check_in_with_their_pass,
    a_pass_lasts_its_days
);
