//! The watchlist on both engines: entries by name (matched whatever the case, accents,
//! punctuation or word order) or email (any case); an expired entry and a non-match hold no one;
//! a held check-in has no badge and tells the desk (one email to the admins and receptionists),
//! not the host, until staff admit it (then the host is told) or turn the visitor away; both
//! decisions are audited with who; bad entries change nothing; editing and removing an entry
//! changes who is held.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use vestibule_tests::{
    Api, Engine, Tenant, TestServer,
    api::visitor,
    smtp::{SMTP_PASSWORD, SMTP_USER, SmtpMode, SmtpServer},
};

use super::mail::{decode_words, header};

/// Checks `name` <`email`> in; returns the answer.
async fn arrive(api: &Api, t: &Tenant, key: &str, name: &str, email: &str) -> Value {
    let body = visitor(&t.host, name, email);
    api.check_in(&t.device, key, &body).await.expect(201)
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .or_else(|| v["visit_id"].as_str())
        .expect("id")
        .to_owned()
}

/// The subjects of the messages to `to` so far.
fn subjects_to(smtp: &SmtpServer, to: &str) -> Vec<String> {
    smtp.messages()
        .iter()
        .filter(|m| header(m, "To").is_some_and(|h| h.contains(to)))
        .filter_map(|m| header(m, "Subject").map(|s| decode_words(&s)))
        .collect()
}

async fn staff_decide_who_the_watchlist_holds(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "watch").await;
    let dir = server.data_dir.path().join("tls");
    let smtp = SmtpServer::start(
        SmtpMode::Tls,
        &dir.join("cert.pem"),
        &dir.join("key.pem"),
        0,
    )
    .await;
    let config = json!({
        "host": "localhost", "port": smtp.port, "security": "tls",
        "username": SMTP_USER, "password": SMTP_PASSWORD,
        "from_address": "reception@watch.test",
        "ca_pem": String::from_utf8(server.cert_pem()).expect("PEM"),
    });
    api.put("/api/v1/integrations/smtp", &t.admin, config)
        .await
        .expect(200);

    // Bad entries: refused in the envelope, nothing stored.
    for bad in [
        json!({"reason": "Neither a name nor an email"}),
        json!({"name": "X", "email": "not an email", "reason": "r"}),
        json!({"name": "X", "reason": ""}),
        json!({"name": "X", "reason": "r", "extra": 1}),
        json!({"name": "-- '' --", "reason": "nothing to match"}),
    ] {
        let r = api.post("/api/v1/watchlist", &t.admin, bad.clone()).await;
        assert_eq!(r.status, 422, "{bad}: {:?}", r.body);
        assert!(r.body["error"]["message"].is_string(), "{:?}", r.body);
    }
    let empty = api.get("/api/v1/watchlist", &t.admin).await.expect(200);
    assert_eq!(empty, json!([]));

    let now = chrono::Utc::now();
    let by_name = api
        .post(
            "/api/v1/watchlist",
            &t.admin,
            json!({"name": "José  Álvarez-O'Neil", "reason": "Threatened the front desk"}),
        )
        .await
        .expect(201);
    let by_email = api
        .post(
            "/api/v1/watchlist",
            &t.admin,
            json!({"email": "Mallory@Example.com", "reason": "Trespass",
                "expires_at": now + chrono::Duration::days(30)}),
        )
        .await
        .expect(201);
    api.post(
        "/api/v1/watchlist",
        &t.admin,
        json!({"name": "Ex Pired", "reason": "Long ago", "expires_at": now - chrono::Duration::days(1)}),
    )
    .await
    .expect(201);
    let list = api.get("/api/v1/watchlist", &t.admin).await.expect(200);
    let active: Vec<bool> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|e| e["active"].as_bool().expect("active"))
        .collect();
    assert_eq!(active, [false, true, true], "newest first: {list}");
    assert_eq!(by_name["name"], "José  Álvarez-O'Neil");
    assert_eq!(by_email["email"], "Mallory@Example.com");

    // Who is held: the name in any form, the email in any case; not the expired entry's name,
    // nor a similar name.
    let held_names = [
        ("h1", "jose alvarez oneil", "jose@elsewhere.example"),
        ("h2", "ÁLVAREZ-O'NEIL José", "alvarez@elsewhere.example"),
        ("h3", "Mel Lory", "MALLORY@example.COM"),
    ];
    let mut held = Vec::new();
    for (key, name, email) in held_names {
        let a = arrive(&api, &t, key, name, email).await;
        assert_eq!(a["status"], "held", "{name}: {a}");
        assert!(a["badge_code"].is_null(), "{a}");
        assert_eq!(a["host_notification"], "none", "{a}");
        held.push(id(&a));
    }
    for (key, name, email) in [
        ("n1", "Ex Pired", "ex@elsewhere.example"),
        ("n2", "Josefina Alvarez", "josefina@elsewhere.example"),
    ] {
        let a = arrive(&api, &t, key, name, email).await;
        assert_eq!(a["status"], "on_site", "{name}: {a}");
        assert!(a["badge_code"].is_string(), "{a}");
    }
    // The kiosk, asking later, learns no badge code either.
    let state = api
        .get(&format!("/api/v1/kiosk/visits/{}", held[0]), &t.device)
        .await
        .expect(200);
    assert_eq!(state["status"], "held");
    assert!(state["badge_code"].is_null(), "{state}");

    // The desk sees them, and why.
    let page = api
        .get("/api/v1/visits?status=held", &t.admin)
        .await
        .expect(200);
    assert_eq!(page["items"].as_array().expect("items").len(), 3, "{page}");
    let why = api
        .get(&format!("/api/v1/visits/{}/hold", held[0]), &t.admin)
        .await
        .expect(200);
    assert_eq!(why["reasons"], json!(["Threatened the front desk"]));
    let why = api
        .get(&format!("/api/v1/visits/{}/hold", held[2]), &t.admin)
        .await
        .expect(200);
    assert_eq!(why["reasons"], json!(["Trespass"]));

    // Harriet, their host, sees none of them, not even by id, and cannot decide.
    api.post(
        "/api/v1/users",
        &t.admin,
        json!({"email": "harriet@watch.test", "name": "Harriet Host", "role": "host",
               "password": "correct horse battery staple"}),
    )
    .await
    .expect(201);
    let harriet = api.login(&t.slug, "harriet@watch.test").await;
    let hers = api
        .get("/api/v1/visits?limit=200", &harriet)
        .await
        .expect(200);
    assert_eq!(hers["items"].as_array().map(Vec::len), Some(2), "{hers}");
    for h in &held {
        let v = format!("/api/v1/visits/{h}");
        assert_eq!(api.get(&v, &harriet).await.status, 404);
        assert_eq!(api.get(&format!("{v}/hold"), &harriet).await.status, 403);
        assert_eq!(
            api.post(&format!("{v}/deny"), &harriet, json!({}))
                .await
                .status,
            404
        );
        assert_eq!(
            api.post(&format!("{v}/admit"), &harriet, json!({}))
                .await
                .status,
            403
        );
    }

    // One alert per held visitor, to the admins and receptionists together; the host hears
    // only of the two others so far.
    let got = smtp.wait_for(5, Duration::from_secs(30)).await;
    assert_eq!(got.len(), 5);
    let alerts = subjects_to(&smtp, "desk@watch.test");
    assert_eq!(alerts.len(), 3, "{alerts:?}");
    assert_eq!(subjects_to(&smtp, "admin@watch.test"), alerts);
    assert!(
        alerts
            .iter()
            .all(|s| s.starts_with("Check at Headquarters reception")),
        "{alerts:?}"
    );
    let to_host = subjects_to(&smtp, "harriet@watch.test");
    assert_eq!(to_host.len(), 2, "{to_host:?}");
    assert!(
        !to_host
            .iter()
            .any(|s| s.contains("jose") || s.contains("Mel Lory")),
        "{to_host:?}"
    );

    // Admitted: on site, and now the host is told. Turned away: checked out as denied. The
    // approval route does not admit, and a decided visit is not decided again.
    let visit = |i: usize| format!("/api/v1/visits/{}", held[i]);
    assert_eq!(
        api.post(&format!("{}/approve", visit(0)), &t.admin, json!({}))
            .await
            .status,
        404
    );
    api.post(&format!("{}/admit", visit(0)), &t.admin, json!({}))
        .await
        .expect(204);
    api.post(&format!("{}/deny", visit(1)), &t.admin, json!({}))
        .await
        .expect(204);
    for again in [format!("{}/admit", visit(0)), format!("{}/deny", visit(1))] {
        assert_eq!(
            api.post(&again, &t.admin, json!({})).await.status,
            404,
            "{again}"
        );
    }
    assert_eq!(
        api.get(&visit(0), &t.admin).await.expect(200)["status"],
        "on_site"
    );
    assert_eq!(
        api.get(&visit(1), &t.admin).await.expect(200)["status"],
        "denied"
    );
    assert_eq!(
        api.get(&visit(0), &harriet).await.status,
        200,
        "admitted: hers now"
    );
    smtp.wait_for(6, Duration::from_secs(30)).await;
    let to_host = subjects_to(&smtp, "harriet@watch.test");
    assert!(
        to_host
            .last()
            .is_some_and(|s| s.starts_with("jose alvarez oneil is at")),
        "{to_host:?}"
    );
    // A replay of the turned-away check-in still gives no badge.
    let replay = arrive(
        &api,
        &t,
        "h2",
        "ÁLVAREZ-O'NEIL José",
        "alvarez@elsewhere.example",
    )
    .await;
    assert_eq!(replay["status"], "held", "{replay}");
    assert!(replay["badge_code"].is_null(), "{replay}");

    // Audited with who decided.
    let audit = api
        .get("/api/v1/audit?limit=200", &t.admin)
        .await
        .expect(200);
    let entries = audit["items"].as_array().expect("items");
    for (action, target) in [("visit.admit", &held[0]), ("visit.deny", &held[1])] {
        let e = entries
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("{action} in {audit}"));
        assert_eq!(e["target"], format!("visit:{target}"));
        assert!(
            e["actor"].as_str().is_some_and(|a| a.starts_with("user:")),
            "{e}"
        );
    }
    assert!(entries.iter().any(|e| e["action"] == "watchlist.add"));

    // Editing: the email entry expires, so Mallory is no longer held; clearing the name entry's
    // only field is refused and changes nothing; removing it lets José in.
    let email_entry = format!("/api/v1/watchlist/{}", id(&by_email));
    let edited = api
        .patch(
            &email_entry,
            &t.admin,
            json!({"expires_at": now - chrono::Duration::minutes(1), "reason": "Trespass (2025)"}),
        )
        .await
        .expect(200);
    assert_eq!(edited["active"], false);
    assert_eq!(edited["email"], "Mallory@Example.com");
    assert_eq!(edited["reason"], "Trespass (2025)");
    let a = arrive(&api, &t, "m2", "Mel Lory", "mallory@example.com").await;
    assert_eq!(a["status"], "on_site", "{a}");
    let name_entry = format!("/api/v1/watchlist/{}", id(&by_name));
    let r = api
        .patch(&name_entry, &t.admin, json!({"name": null}))
        .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    let a = arrive(
        &api,
        &t,
        "j2",
        "Jose Alvarez O'Neil",
        "j2@elsewhere.example",
    )
    .await;
    assert_eq!(a["status"], "held", "the name entry still holds: {a}");
    let r = api
        .send(Method::DELETE, &name_entry, &t.admin, None, &[])
        .await;
    assert_eq!(r.status, 204);
    let a = arrive(
        &api,
        &t,
        "j3",
        "Jose Alvarez O'Neil",
        "j3@elsewhere.example",
    )
    .await;
    assert_eq!(a["status"], "on_site", "{a}");
    let r = api
        .send(Method::DELETE, &name_entry, &t.admin, None, &[])
        .await;
    assert_eq!(r.status, 404);

    // The receptionist decides too; the kiosk's device may not.
    let desk = api.login(&t.slug, &t.receptionist).await;
    let j2 = api
        .get("/api/v1/visits?status=held", &desk)
        .await
        .expect(200)["items"][0]["id"]
        .as_str()
        .expect("held")
        .to_owned();
    let admit = format!("/api/v1/visits/{j2}/admit");
    assert_eq!(api.post(&admit, &t.device, json!({})).await.status, 401);
    api.post(&admit, &desk, json!({})).await.expect(204);
    assert_eq!(api.get("/api/v1/watchlist", &desk).await.status, 403);
}

both_engines!(staff_decide_who_the_watchlist_holds);
