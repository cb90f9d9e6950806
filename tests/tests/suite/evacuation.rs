//! The evacuation roll call over the real binary, on both engines: 30 visitors on site, an
//! evacuation started by the desk snapshots exactly them (not one who already left) and
//! emails the site's emergency contact over TLS the console's link (timed from the start
//! to the SMTP server accepting it); two staff sessions mark people and every read agrees on the
//! counts; a visitor who checks out during the roll call stays on it, marked as checked out; the
//! PDF lists exactly those on site at the start; closing refuses further marks; the start, each
//! mark and the close are in the audit trail; the receptionist can start one from a kiosk.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vestibule_tests::{Engine, Tenant, wait_until, world::PIN};

use super::{
    badges::get_bytes,
    mail::{header, server, tls_mail},
};

both_engines!(the_roll_call_accounts_for_everyone);

const CONTACT: &str = "warden@evac.test";

async fn the_roll_call_accounts_for_everyone(engine: Engine) {
    let server = server(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "evac").await;
    let smtp = tls_mail(&server, &api, &t).await;
    let r = api
        .patch(
            &format!("/api/v1/sites/{}", t.site),
            &t.admin,
            json!({"emergency_contacts": ["not an email"]}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    api.patch(
        &format!("/api/v1/sites/{}", t.site),
        &t.admin,
        json!({"emergency_contacts": [CONTACT]}),
    )
    .await
    .expect(200);

    let mut names = Vec::new();
    for i in 0..30 {
        let name = format!("Evacuee Number{i:02}");
        t.check_in(&api, &format!("evac-{i}"), &name).await;
        names.push(name);
    }
    // Someone who already left is not on it.
    let gone = t.check_in(&api, "gone", "Gone Before").await;
    api.post(
        &format!("/api/v1/visits/{gone}/checkout"),
        &t.admin,
        json!({}),
    )
    .await
    .expect(204);

    let sent_before = smtp.messages().len();
    let started = Instant::now();
    let e = api
        .post(
            &format!("/api/v1/sites/{}/evacuations", t.site),
            &t.admin,
            json!({}),
        )
        .await
        .expect(201);
    let email = wait_until("the emergency email", Duration::from_secs(30), async || {
        smtp.messages()
            .into_iter()
            .skip(sent_before)
            .find(|m| header(m, "Subject").is_some_and(|s| s.contains("EVACUATION")))
    })
    .await;
    let took = started.elapsed();
    let id = e["id"].as_str().expect("id").to_owned();
    assert!(email.contains(CONTACT), "to the emergency contact");
    let read = super::mail::read_email(&email);
    assert!(
        read["text"]
            .as_str()
            .expect("text")
            .contains(&format!("/evacuation/{id}"))
    );
    assert_eq!(e["counts"]["total"], 30, "{e}");
    let on_it: Vec<String> = e["people"]
        .as_array()
        .expect("people")
        .iter()
        .map(|p| p["visitor_name"].as_str().expect("name").to_owned())
        .collect();
    let mut sorted = on_it.clone();
    sorted.sort();
    assert_eq!(sorted, names, "exactly those on site");
    let r = api
        .post(
            &format!("/api/v1/sites/{}/evacuations", t.site),
            &t.admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 409, "one open roll call per site: {}", r.text);

    // Two staff sessions mark people; a visitor checks out in the middle.
    let desk = api.login("evac", &t.receptionist).await;
    let people: Vec<Value> = e["people"].as_array().expect("people").clone();
    let visit = |i: usize| people[i]["visit_id"].as_str().expect("visit").to_owned();
    for i in 0..20 {
        let who = if i % 2 == 0 { &t.admin } else { &desk };
        let status = if i < 18 { "safe" } else { "missing" };
        api.patch(
            &format!("/api/v1/evacuations/{id}/people/{}", visit(i)),
            who,
            json!({"status": status}),
        )
        .await
        .expect(200);
    }
    let leaving = visit(25);
    api.post(
        &format!("/api/v1/visits/{leaving}/checkout"),
        &t.admin,
        json!({}),
    )
    .await
    .expect(204);
    let r = api
        .patch(
            &format!("/api/v1/evacuations/{id}/people/{}", visit(0)),
            &desk,
            json!({"status": "unaccounted"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    for who in [&t.admin, &desk] {
        let now = api
            .get(&format!("/api/v1/evacuations/{id}"), who)
            .await
            .expect(200);
        assert_eq!(
            now["counts"],
            json!({"total": 30, "safe": 18, "missing": 2, "unaccounted": 10}),
            "every session sees the same counts"
        );
        let left = now["people"]
            .as_array()
            .expect("people")
            .iter()
            .find(|p| p["visit_id"] == leaving.as_str())
            .expect("the visitor who left stays on it");
        assert!(left["checked_out_at"].is_string(), "{left}");
    }

    // The printable list: exactly those on site at the start.
    let (status, pdf) = get_bytes(
        &api,
        &format!("/api/v1/evacuations/{id}/roll-call.pdf"),
        &t.admin,
    )
    .await;
    assert_eq!(status, 200);
    let text = super::visitor_types::pdf_text(&pdf);
    for name in &names {
        assert!(text.contains(name.as_str()), "{name} on the PDF");
    }
    assert!(!text.contains("Gone Before"));
    assert!(text.contains("checked out"), "{text}");

    // Closed: read-only, still readable; all of it audited.
    api.post(&format!("/api/v1/evacuations/{id}/close"), &desk, json!({}))
        .await
        .expect(200);
    let r = api
        .patch(
            &format!("/api/v1/evacuations/{id}/people/{}", visit(21)),
            &t.admin,
            json!({"status": "safe"}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    let past = api.get("/api/v1/evacuations", &desk).await.expect(200);
    assert!(past[0]["closed_at"].is_string(), "{past}");
    let audit = api
        .get("/api/v1/audit?limit=200", &t.admin)
        .await
        .expect(200)
        .to_string();
    for action in [
        "evacuation.start",
        "evacuation.mark_safe",
        "evacuation.mark_missing",
        "evacuation.close",
    ] {
        assert!(audit.contains(action), "{action} audited");
    }

    // The receptionist starts one from the kiosk's override mode.
    let over = api.override_login(&t.device, &t.receptionist, PIN).await;
    let k = api
        .send(
            reqwest::Method::POST,
            "/api/v1/kiosk/override/evacuations",
            &over,
            Some(&json!({})),
            &[],
        )
        .await;
    assert_eq!(k.status, 201, "{}", k.text);
    eprintln!(
        "evacuation ({engine:?}): start → emergency email accepted by the SMTP server: {took:?}"
    );
}
