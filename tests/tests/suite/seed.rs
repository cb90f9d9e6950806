//! `vestibule-server seed` on both engines (beside a running server, as `cargo xtask seed` runs
//! it), then a seeded tenant through the API as the console reads it: every visit is there,
//! spread over the days asked, signed out each evening before today's and decrypting; the
//! exact-email filter finds a visitor through the blind index; the audit chain verifies; keyset
//! paging returns each visit exactly once while check-ins are added; and the streamed CSV export
//! (more than two of its pages), read while the kiosk checks visitors in, holds the same visits
//! in the same order as the list.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde_json::Value;
use vestibule_tests::{Api, Auth, Engine, TestServer, api::visitor};

const VISITS: usize = 2_500;

/// Every visit of the log, newest first, by keyset pages of 200: (time, id, status, name).
/// `between` runs once, after the first page.
async fn walk(api: &Api, admin: &Auth, between: impl AsyncFnOnce()) -> Vec<Value> {
    let (mut seen, mut after) = (Vec::new(), String::new());
    let mut between = Some(between);
    loop {
        let page = api
            .get(&format!("/api/v1/visits?limit=200{after}"), admin)
            .await
            .expect(200);
        seen.extend(page["items"].as_array().expect("items").iter().cloned());
        if let Some(f) = between.take() {
            f().await;
        }
        match page["next"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => return seen,
        }
    }
}

fn ids(visits: &[Value]) -> Vec<String> {
    visits
        .iter()
        .map(|v| v["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn a_seeded_tenant_reads_back(engine: Engine) {
    let server = TestServer::start(engine).await;
    let out = server
        .command(&[
            "seed",
            "--tenants",
            "2",
            "--visits-per-tenant",
            &VISITS.to_string(),
            "--days",
            "4",
            "--hosts",
            "3",
        ])
        .await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[2].contains(&format!("with {} visits", 2 * VISITS)),
        "{out}"
    );
    let (slug, id) = lines[0].split_once(' ').expect("slug and id");
    assert_eq!(slug, "seed-00001");

    let api = server.api();
    api.create_user(&server.operator_token, id, "admin@seed.test", "admin", None)
        .await;
    let admin = api.login(slug, "admin@seed.test").await;
    let verified = api.get("/api/v1/audit/verify", &admin).await.expect(200);
    assert_eq!(verified["valid"], true, "{verified}");
    assert!(
        verified["entries"].as_i64() >= Some(VISITS as i64),
        "{verified}"
    );

    // A kiosk of the seeded site checks visitors in while the log is paged through.
    let site = api.get("/api/v1/sites", &admin).await.expect(200)[0]["id"]
        .as_str()
        .expect("site")
        .to_owned();
    let host = api.get("/api/v1/hosts", &admin).await.expect(200)[0]["id"]
        .as_str()
        .expect("host")
        .to_owned();
    let (_, code) = api.create_kiosk(&admin, &site).await;
    let device = api.enroll(&code).await;
    let seeded = walk(&api, &admin, async || {
        for i in 0..3 {
            let body = visitor(&host, &format!("Late {i}"), "late@example.com");
            api.check_in(&device, &format!("late-{i}"), &body)
                .await
                .expect(201);
        }
    })
    .await;
    let unique: HashSet<String> = ids(&seeded).into_iter().collect();
    assert_eq!((seeded.len(), unique.len()), (VISITS, VISITS), "each once");

    let now = Utc::now();
    let today = now.date_naive();
    let mut days = HashSet::new();
    for v in &seeded {
        let at: DateTime<Utc> = v["checked_in_at"]
            .as_str()
            .expect("time")
            .parse()
            .expect("time");
        assert!(at < now && at > now - chrono::Duration::days(4), "{v}");
        days.insert(at.date_naive());
        if at.date_naive() < today {
            assert_eq!(v["status"], "checked_out", "signed out that evening: {v}");
        }
        assert!(
            v["visitor_name"]
                .as_str()
                .is_some_and(|n| n.starts_with("Visitor ")),
            "{v}"
        );
    }
    assert!(days.len() >= 3, "spread over the days: {days:?}");

    let email = seeded[0]["visitor_email"].as_str().expect("email");
    let found = api
        .get(&format!("/api/v1/visits?email={email}"), &admin)
        .await
        .expect(200);
    assert_eq!(found["items"].as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found["items"][0]["id"], seeded[0]["id"]);

    let listed = ids(&walk(&api, &admin, async || {}).await);
    assert_eq!(
        listed.len(),
        VISITS + 3,
        "the late check-ins come first now"
    );
    let Auth::Bearer(token) = &admin else {
        panic!("a bearer session")
    };
    // The kiosk goes on checking visitors in during the export: each is answered, and the export
    // still holds every visit before it, once.
    let export = async {
        api.client
            .get(format!("{}/api/v1/visits/export.csv", api.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("export")
            .text()
            .await
            .expect("export body")
    };
    let kiosk = async {
        for i in 0..10 {
            let body = visitor(&host, &format!("During {i}"), "during@example.com");
            api.check_in(&device, &format!("during-{i}"), &body)
                .await
                .expect(201);
        }
    };
    let (csv, ()) = tokio::join!(export, kiosk);
    // A check-in the export's first page saw (it began before that page was read) comes first.
    let exported: Vec<String> = csv
        .lines()
        .skip(1)
        .filter(|l| !l.contains(",During "))
        .map(|l| l.split(',').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(exported, listed, "the export is the list");
}

both_engines!(a_seeded_tenant_reads_back);
