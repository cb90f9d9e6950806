//! What an admin and a receptionist do beyond the basic day: import the directory from CSV (all or
//! nothing, with a per-row report), export the visit log, manage users and PINs, get locked out
//! after five failures, and run the front desk in override mode (check in for someone, correct a
//! record, check out), and set the tenant's settings that its kiosks show.

use serde_json::json;
use vestibule_tests::{Auth, Engine, Tenant, TestServer, api::visitor, world::PIN};

async fn directory_import_and_export(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    let hosts_before = api.get("/api/v1/hosts", &t.admin).await.expect(200);

    // One bad row anywhere: nothing is imported, and each bad row is reported.
    let bad = format!(
        "name,email,site_id\nGrace Hopper,grace@acme.test,{site}\n,nobody@acme.test,{site}\nAlan Turing,not-an-email,{site}\nAda Lovelace,ada@acme.test,{other}\nLinus,linus@acme.test,nope\n",
        site = t.site,
        other = uuid::Uuid::now_v7()
    );
    let r = api.post_csv("/api/v1/hosts/import", &t.admin, &bad).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "invalid_input"),
        "{}",
        r.text
    );
    assert_eq!(
        r.bad_rows(),
        vec![
            (3, "name".into()),
            (4, "email".into()),
            (5, "site_id".into()),
            (6, "site_id".into())
        ]
    );
    assert_eq!(
        api.get("/api/v1/hosts", &t.admin).await.expect(200),
        hosts_before,
        "nothing imported"
    );
    let r = api
        .post_csv("/api/v1/hosts/import", &t.admin, "first,last\nA,B\n")
        .await;
    assert_eq!(
        r.status, 422,
        "a file without the required columns is refused"
    );

    let good = format!(
        "Name,Email,Site_ID\nGrace Hopper,grace@acme.test,{s}\nAlan Turing,alan@acme.test,{s}\n",
        s = t.site
    );
    let r = api.post_csv("/api/v1/hosts/import", &t.admin, &good).await;
    assert_eq!(r.expect(201)["imported"], 2);
    let found = api
        .get("/api/v1/kiosk/hosts?q=grace", &t.device)
        .await
        .expect(200);
    assert_eq!(found[0]["display_name"], "Grace Hopper");

    // The export holds the log, with formula-looking cells defused.
    let body = visitor(&t.host, "=HYPERLINK(\"x\")", "vera@example.com");
    api.check_in(&t.device, "csv-1", &body).await.expect(201);
    let Auth::Bearer(token) = &t.admin else {
        panic!()
    };
    let res = api
        .client
        .get(format!("{}/api/v1/visits/export.csv", api.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/csv")
    );
    let csv = res.text().await.expect("body");
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("visit_id,site_id,host_id,host_name,visitor_name,visitor_email"));
    assert_eq!(lines.len(), 2);
    assert!(
        lines[1].contains("\"'=HYPERLINK(\"\"x\"\")\""),
        "{}",
        lines[1]
    );
}

async fn accounts_lock_and_pins(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    let wrong =
        json!({"tenant": "acme", "email": "admin@acme.test", "password": "wrong password!!"});
    for _ in 0..5 {
        assert_eq!(
            api.post("/api/v1/auth/login", &Auth::None, wrong.clone())
                .await
                .code(),
            "invalid_credentials"
        );
    }
    let r = api
        .post("/api/v1/auth/login", &Auth::None, wrong.clone())
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (429, "locked"), "{}", r.text);
    let retry: u64 = r.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=30).contains(&retry));
    let right = json!({"tenant": "acme", "email": "admin@acme.test", "password": "correct horse battery staple"});
    assert_eq!(
        api.post("/api/v1/auth/login", &Auth::None, right)
            .await
            .code(),
        "locked",
        "even the right password waits"
    );
    // Unknown tenants and users look the same as a wrong password.
    let r = api
        .post(
            "/api/v1/auth/login",
            &Auth::None,
            json!({"tenant": "nope", "email": "a@b.test", "password": "whatever whatever"}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "invalid_credentials"));

    // PINs lock the same way, and only the PIN.
    for _ in 0..5 {
        let r = api
            .post(
                "/api/v1/kiosk/override",
                &t.device,
                json!({"email": t.receptionist, "pin": "000000"}),
            )
            .await;
        assert_eq!(r.code(), "invalid_credentials");
    }
    let r = api
        .post(
            "/api/v1/kiosk/override",
            &t.device,
            json!({"email": t.receptionist, "pin": "000000"}),
        )
        .await;
    assert_eq!(r.code(), "locked");
    let r = api
        .post(
            "/api/v1/kiosk/override",
            &t.device,
            json!({"email": t.receptionist, "pin": PIN}),
        )
        .await;
    assert_eq!(r.code(), "locked");

    // An admin without a PIN gets one, and a disabled user loses their sessions.
    let admin2 = api
        .create_user(
            &server.operator_token,
            &t.id,
            "second@acme.test",
            "admin",
            None,
        )
        .await;
    let id = admin2["id"].as_str().expect("id");
    assert_eq!(admin2["has_pin"], false);
    let second = api.login("acme", "second@acme.test").await;
    api.get("/api/v1/sites", &second).await.expect(200);
    let updated = api
        .patch(
            &format!("/api/v1/users/{id}"),
            &second,
            json!({"pin": "135790"}),
        )
        .await
        .expect(200);
    assert_eq!(updated["has_pin"], true);
    api.override_login(&t.device, "second@acme.test", "135790")
        .await;
    let first_admin = t.admin.clone();
    api.patch(
        &format!("/api/v1/users/{id}"),
        &first_admin,
        json!({"disabled": true}),
    )
    .await
    .expect(200);
    assert_eq!(
        api.get("/api/v1/sites", &second).await.status,
        401,
        "disabling ends the sessions"
    );
    assert_eq!(
        api.patch(
            &format!("/api/v1/users/{id}"),
            &first_admin,
            json!({"bogus": 1})
        )
        .await
        .status,
        422
    );
}

async fn override_mode_runs_the_desk(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    let override_token = api.override_login(&t.device, &t.receptionist, PIN).await;

    // Check someone in on their behalf, under the receptionist's name in the audit log.
    let r = api
        .send(
            reqwest::Method::POST,
            "/api/v1/kiosk/override/visits",
            &override_token,
            Some(&visitor(&t.host, "Walk In", "walkin@example.com")),
            &[("Idempotency-Key", "override-1")],
        )
        .await;
    let visit = r.expect(201)["visit_id"].as_str().expect("id").to_owned();
    let fixed = api
        .patch(
            &format!("/api/v1/kiosk/override/visits/{visit}"),
            &override_token,
            json!({"name": "Walter Inn", "company": "Inn & Co"}),
        )
        .await
        .expect(200);
    assert_eq!(
        (
            fixed["visitor_name"].as_str(),
            fixed["visitor_company"].as_str()
        ),
        (Some("Walter Inn"), Some("Inn & Co"))
    );
    let on_site = api
        .get("/api/v1/kiosk/override/visits", &override_token)
        .await
        .expect(200);
    assert_eq!(on_site[0]["visitor_name"], "Walter Inn");
    api.post(
        &format!("/api/v1/kiosk/override/visits/{visit}/checkout"),
        &override_token,
        json!({}),
    )
    .await
    .expect(204);
    assert_eq!(
        api.get("/api/v1/kiosk/override/visits", &override_token)
            .await
            .expect(200),
        json!([])
    );
    let r = api
        .post(
            &format!("/api/v1/kiosk/override/visits/{visit}/checkout"),
            &override_token,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 404, "a visit checks out once");

    let audit = api
        .get("/api/v1/audit?limit=20", &t.admin)
        .await
        .expect(200);
    let by_override: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["actor"].as_str().is_some_and(|a| a.contains("@kiosk:")))
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "override.start",
        "visit.check_in",
        "visit.correct",
        "visit.check_out",
    ] {
        assert!(
            by_override.contains(&action),
            "{action} not done under the receptionist: {by_override:?}"
        );
    }
    // The device token alone does not open override routes.
    assert_eq!(
        api.get("/api/v1/kiosk/override/visits", &t.device)
            .await
            .status,
        401
    );
}

async fn settings_reach_the_kiosk(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    let other = Tenant::setup(&api, &server.operator_token, "globex").await;

    let defaults = api.get("/api/v1/settings", &t.admin).await.expect(200);
    assert_eq!(
        defaults,
        json!({"language": "en", "consent_text": {}, "notify_checkout": false, "notify_waiting_minutes": null,
               "pass_days": 0, "directory_min_chars": 2, "directory_exact": false,
               "sign_out_reminder_minutes": null, "retention_days": 365})
    );
    let seen = api
        .get("/api/v1/kiosk/settings", &t.device)
        .await
        .expect(200);
    assert_eq!(
        (seen["tenant_name"].as_str(), seen["site_name"].as_str()),
        (Some("acme"), Some("Headquarters"))
    );

    let texts =
        json!({"en": "Our rules.\r\nWear your badge.", "fr": "Nos règles.\nPortez votre badge."});
    let body = json!({"language": "fr", "consent_text": texts, "notify_checkout": true, "notify_waiting_minutes": 15});
    let saved = api
        .patch("/api/v1/settings", &t.admin, body)
        .await
        .expect(200);
    assert_eq!(
        saved["consent_text"]["en"], "Our rules.\nWear your badge.",
        "line breaks normalised"
    );
    assert_eq!(
        (
            saved["notify_checkout"].as_bool(),
            saved["notify_waiting_minutes"].as_u64()
        ),
        (Some(true), Some(15))
    );
    let seen = api
        .get("/api/v1/kiosk/settings", &t.device)
        .await
        .expect(200);
    assert_eq!(
        (
            seen["language"].as_str(),
            seen["consent_text"]["fr"].as_str()
        ),
        (Some("fr"), Some("Nos règles.\nPortez votre badge."))
    );
    assert_eq!(
        api.get("/api/v1/kiosk/settings", &other.device)
            .await
            .expect(200)["consent_text"],
        json!({}),
        "per tenant"
    );

    // Bad input changes nothing.
    for bad in [
        json!({"language": "de"}),
        json!({"consent_text": {"de": "Regeln"}}),
        json!({"consent_text": {"en": ""}}),
        json!({"consent_text": {"en": "x".repeat(4001)}}),
        json!({"consent_text": {"en": "bell\u{7}"}}),
        json!({"notify_waiting_minutes": 1441}),
        json!({"directory_min_chars": 0}),
        json!({"directory_min_chars": 11}),
        json!({"retention_days": 29}),
        json!({"retention_days": 3651}),
        json!({"bogus": true}),
    ] {
        let r = api.patch("/api/v1/settings", &t.admin, bad.clone()).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (422, "invalid_input"),
            "{bad}: {}",
            r.text
        );
    }
    assert_eq!(
        api.get("/api/v1/settings", &t.admin).await.expect(200),
        saved
    );
    // Turning the reminder off; a kiosk or a receptionist cannot change settings.
    let off = api
        .patch(
            "/api/v1/settings",
            &t.admin,
            json!({"notify_waiting_minutes": 0}),
        )
        .await
        .expect(200);
    assert_eq!(off["notify_waiting_minutes"], json!(null));
    assert_eq!(
        api.patch("/api/v1/settings", &t.device, json!({"language": "en"}))
            .await
            .status,
        401
    );
    assert_eq!(
        api.get("/api/v1/kiosk/settings", &t.admin).await.status,
        401
    );
}

/// The kiosk's host search, as the tenant allows it to anyone at the tablet: nothing under the
/// minimum query length (2 by default), and with the exact option only whole first or last names.
async fn the_kiosk_directory_shows_only_what_the_tenant_allows(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "discreet").await;
    let names = async |q: &str| -> Vec<String> {
        let found = api
            .get(&format!("/api/v1/kiosk/hosts?q={q}"), &t.device)
            .await
            .expect(200);
        found
            .as_array()
            .expect("a list")
            .iter()
            .map(|h| h["display_name"].as_str().expect("name").to_owned())
            .collect()
    };
    let harriet = vec!["Harriet Host".to_owned()];
    assert!(names("h").await.is_empty(), "one letter lists nobody");
    assert!(names("").await.is_empty());
    assert_eq!(names("ha").await, harriet);
    let seen = api
        .get("/api/v1/kiosk/settings", &t.device)
        .await
        .expect(200);
    assert_eq!(
        (&seen["directory_min_chars"], &seen["directory_exact"]),
        (&json!(2), &json!(false))
    );

    let body = json!({"directory_min_chars": 4, "directory_exact": true});
    api.patch("/api/v1/settings", &t.admin, body)
        .await
        .expect(200);
    assert!(names("har").await.is_empty(), "under the minimum");
    assert!(names("harr").await.is_empty(), "a part of a name");
    assert!(
        names("harriet%20h").await.is_empty(),
        "a whole name and a part"
    );
    assert_eq!(names("HARRIET").await, harriet, "the whole first name");
    assert_eq!(names("host").await, harriet, "the whole last name");
    assert_eq!(names("harriet%20host").await, harriet, "the whole name");
    let seen = api
        .get("/api/v1/kiosk/settings", &t.device)
        .await
        .expect(200);
    assert_eq!(
        (&seen["directory_min_chars"], &seen["directory_exact"]),
        (&json!(4), &json!(true))
    );
}

both_engines!(
    the_kiosk_directory_shows_only_what_the_tenant_allows,
    directory_import_and_export,
    accounts_lock_and_pins,
    override_mode_runs_the_desk,
    settings_reach_the_kiosk
);
