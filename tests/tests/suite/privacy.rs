//! The data-subject rights through the real server on both engines. Three people share a name or
//! a company: Sam Lee (sam@rights.test, two visits, a pass asked for, an invitation), another Sam
//! Lee (sam.lee@elsewhere.test) and Ana Ruiz, of the same company. The export of the first Sam's
//! email (typed in another case) holds exactly their records; erasing it removes them (none is
//! found by the email index or by id any more), leaves the other two intact and decrypting, and
//! the audit log shows both acts with the email's blind index, never the email.

use serde_json::{Value, json};
use vestibule_tests::{Api, Engine, Tenant, TestServer};

const SAM: &str = "sam@rights.test";

fn person(host: &str, name: &str, email: &str) -> Value {
    json!({"visitor": {"name": name, "email": email, "company": "Acme Rights"},
           "host_id": host, "want_pass": true})
}

/// The ids of the items of a list answer.
fn ids(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> = list
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|v| v["id"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

async fn visits_of(api: &Api, t: &Tenant, email: &str) -> Vec<String> {
    let page = api
        .get(&format!("/api/v1/visits?email={email}"), &t.admin)
        .await
        .expect(200);
    ids(&page["items"])
}

async fn rights(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "rights").await;
    api.patch("/api/v1/settings", &t.admin, json!({"pass_days": 30}))
        .await
        .expect(200);
    let mut sam_visits = Vec::new();
    for (key, name, email) in [
        ("sam-1", "Sam Lee", SAM),
        ("sam-2", "Sam Lee", SAM),
        ("other-sam", "Sam Lee", "sam.lee@elsewhere.test"),
        ("ana", "Ana Ruiz", "ana@rights.test"),
    ] {
        let r = api
            .check_in(&t.device, key, &person(&t.host, name, email))
            .await
            .expect(201);
        if email == SAM {
            sam_visits.push(r["visit_id"].as_str().expect("id").to_owned());
        }
    }
    sam_visits.sort();
    let invite = json!({"visitor": {"name": "Sam Lee", "email": SAM, "company": "Acme Rights"},
        "host_id": t.host, "site_id": t.site, "expected_at": chrono::Utc::now() + chrono::Duration::days(2)});
    let invite = api
        .post("/api/v1/invites", &t.admin, invite)
        .await
        .expect(201);
    let others = [
        visits_of(&api, &t, "sam.lee@elsewhere.test").await,
        visits_of(&api, &t, "ana@rights.test").await,
    ];

    let export = api
        .post(
            "/api/v1/privacy/export",
            &t.admin,
            json!({"email": "Sam@Rights.TEST"}),
        )
        .await
        .expect(200);
    assert_eq!(ids(&export["visits"]), sam_visits, "exactly Sam's visits");
    for v in export["visits"].as_array().expect("visits") {
        assert_eq!(v["visitor_email"], SAM);
        assert_eq!(v["visitor_name"], "Sam Lee");
    }
    assert_eq!(
        ids(&export["invites"]),
        vec![invite["id"].as_str().expect("id").to_owned()]
    );
    let mut pass_visits: Vec<String> = export["passes"]
        .as_array()
        .expect("passes")
        .iter()
        .filter_map(|p| p["visit_id"].as_str().map(str::to_owned))
        .collect();
    pass_visits.sort();
    assert_eq!(
        pass_visits, sam_visits,
        "the pass asked for at each of Sam's visits"
    );
    let text = export.to_string();
    assert!(
        !text.contains("elsewhere") && !text.contains("Ana"),
        "{text}"
    );

    let erased = api
        .post("/api/v1/privacy/erase", &t.admin, json!({"email": SAM}))
        .await
        .expect(200);
    assert_eq!(erased["erased_visits"], 2);
    assert_eq!(erased["erased_invites"], 1);
    assert_eq!(erased["erased_passes"], 2);
    assert!(erased["erased_visitors"].as_u64().is_some_and(|n| n >= 1));

    assert!(
        visits_of(&api, &t, SAM).await.is_empty(),
        "the index finds nothing"
    );
    for id in &sam_visits {
        api.get(&format!("/api/v1/visits/{id}"), &t.admin)
            .await
            .expect(404);
    }
    let again = api
        .post("/api/v1/privacy/export", &t.admin, json!({"email": SAM}))
        .await
        .expect(200);
    assert_eq!(again["visits"], json!([]));
    assert_eq!(again["invites"], json!([]));
    assert_eq!(again["passes"], json!([]));
    for (list, email) in others
        .iter()
        .zip(["sam.lee@elsewhere.test", "ana@rights.test"])
    {
        assert_eq!(&visits_of(&api, &t, email).await, list, "{email} intact");
        for id in list {
            let v = api
                .get(&format!("/api/v1/visits/{id}"), &t.admin)
                .await
                .expect(200);
            assert_eq!(v["visitor_email"], email, "decrypts");
        }
    }

    let audit = api
        .get("/api/v1/audit?limit=50", &t.admin)
        .await
        .expect(200);
    let entries = audit["items"].as_array().expect("entries");
    let of = |action: &str| {
        entries
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("{action} audited: {audit}"))
            .clone()
    };
    for action in ["privacy.export", "privacy.erase"] {
        let target = of(action)["target"].as_str().unwrap_or_default().to_owned();
        assert!(target.starts_with("email_idx:"), "{target}");
        assert!(
            !target.to_lowercase().contains("sam") && !target.contains('@'),
            "{target}"
        );
    }
    let chain = api.get("/api/v1/audit/verify", &t.admin).await.expect(200);
    assert_eq!(chain["valid"], true, "{chain}");
}

#[tokio::test]
async fn rights_export_and_erase_on_sqlite() {
    rights(Engine::Sqlite).await;
}

#[tokio::test]
async fn rights_export_and_erase_on_postgres() {
    rights(Engine::Postgres).await;
}
