//! End to end over real TLS against the real binary: bootstrap → tenant → admin login → site,
//! host, kiosk → enroll → check in → on-site list via override → check out, on both engines.

use serde_json::json;
use vestibule_tests::{Auth, Engine, TestServer, api::visitor, world::PIN};

async fn front_desk_day(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let op = server.operator_token.clone();

    // The operator signs up a company and its first admin.
    let tenant = api.create_tenant(&op, "acme").await;
    api.create_user(&op, &tenant, "ada@acme.test", "admin", None)
        .await;
    api.create_user(&op, &tenant, "rita@acme.test", "receptionist", Some(PIN))
        .await;

    // The admin sets up a reception.
    let admin = api.login("acme", "ada@acme.test").await;
    let site = api.create_site(&admin, "Paris HQ").await;
    let host = api
        .create_host(&admin, &site, "Harriet Host", "harriet@acme.test")
        .await;
    let (_, code) = api.create_kiosk(&admin, &site).await;

    // The tablet enrolls and finds the host by name, never by email.
    let device = api.enroll(&code).await;
    let found = api
        .get("/api/v1/kiosk/hosts?q=harr", &device)
        .await
        .expect(200);
    assert_eq!(found, json!([{"id": host, "display_name": "Harriet Host"}]));
    assert!(!found.to_string().contains("harriet@"));

    // A visitor checks in.
    let checked_in = api
        .check_in(
            &device,
            "first-visit",
            &visitor(&host, "Vera Visitor", "vera@example.com"),
        )
        .await
        .expect(201);
    let badge = checked_in["badge_code"].as_str().expect("badge").to_owned();
    let visit_id = checked_in["visit_id"]
        .as_str()
        .expect("visit id")
        .to_owned();

    // The receptionist takes over the tablet and sees who is in.
    let override_token = api.override_login(&device, "rita@acme.test", PIN).await;
    let on_site = api
        .get("/api/v1/kiosk/override/visits", &override_token)
        .await
        .expect(200);
    let on_site = on_site.as_array().expect("a list");
    assert_eq!(on_site.len(), 1);
    assert_eq!(on_site[0]["id"], visit_id);
    assert_eq!(on_site[0]["visitor_name"], "Vera Visitor");
    api.post("/api/v1/kiosk/override/exit", &override_token, json!({}))
        .await
        .expect(204);
    assert_eq!(
        api.get("/api/v1/kiosk/override/visits", &override_token)
            .await
            .status,
        401
    );

    // The visitor checks out with the badge code, and the log shows it.
    api.post(
        "/api/v1/kiosk/visits/checkout",
        &device,
        json!({"badge_code": badge}),
    )
    .await
    .expect(204);
    let log = api
        .get(
            &format!("/api/v1/visits?site_id={site}&status=checked_out"),
            &admin,
        )
        .await
        .expect(200);
    assert_eq!(log["total"], 1);
    assert_eq!(log["items"][0]["id"], visit_id);
    assert!(log["items"][0]["checked_out_at"].is_string());

    // Every write is in an intact audit chain.
    let check = api.get("/api/v1/audit/verify", &admin).await.expect(200);
    assert_eq!(check["valid"], true, "{check}");
    let entries = api.get("/api/v1/audit?limit=200", &admin).await.expect(200);
    let actions: Vec<&str> = entries["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "tenant.create",
        "user.create",
        "site.create",
        "host.create",
        "kiosk.create",
        "kiosk.enroll",
        "visit.check_in",
        "override.start",
        "visit.check_out",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }

    // A revoked kiosk is locked out at once.
    let kiosks = api.get("/api/v1/kiosks", &admin).await.expect(200);
    let kiosk_id = kiosks[0]["id"].as_str().expect("id");
    api.post(
        &format!("/api/v1/kiosks/{kiosk_id}/revoke"),
        &admin,
        json!({}),
    )
    .await
    .expect(204);
    assert_eq!(api.get("/api/v1/kiosk/hosts", &device).await.status, 401);

    // Logging out ends the session.
    api.post("/api/v1/auth/logout", &admin, json!({}))
        .await
        .expect(204);
    assert_eq!(api.get("/api/v1/sites", &admin).await.status, 401);
    let _ = Auth::None;
}

both_engines!(front_desk_day);
