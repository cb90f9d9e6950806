//! Invitations over the real binary, on both engines: staff invite, list the day's and cancel; a
//! host invites only for themselves and sees only their own; a kiosk checks the visitor in with
//! the code (typed in any case, with or without its dash), learning only the first name and the
//! host's name; a retry under the same `Idempotency-Key` is the same visit; a used, cancelled,
//! expired or other tenant's code is the same 404; wrong codes from one kiosk meet the back-off
//! long before a thousand; a CSV file invites many at once, all or none with a per-row report;
//! and an invitation sent again gets a new code, the old one failing from then on.

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::json;
use vestibule_tests::{Api, Auth, Engine, Tenant, TestServer};

/// Invites `name` for `host` at the tenant's site, expected at `at`; returns the answer.
async fn invite(
    api: &Api,
    by: &Auth,
    t: &Tenant,
    host: &str,
    name: &str,
    at: chrono::DateTime<Utc>,
) -> serde_json::Value {
    let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
    let body = json!({"visitor": {"name": name, "email": email, "company": "Analytical Engines"},
        "host_id": host, "site_id": t.site, "expected_at": at, "note": "Needs a parking space"});
    api.post("/api/v1/invites", by, body).await.expect(201)
}

/// Gives Harriet (`email`, the tenant's host) an account with the host role.
async fn host_account(api: &Api, t: &Tenant, email: &str) {
    api.post(
        "/api/v1/users",
        &t.admin,
        json!({"email": email, "name": "Harriet Host", "role": "host",
               "password": "correct horse battery staple"}),
    )
    .await
    .expect(201);
}

fn code_of(invite: &serde_json::Value) -> String {
    invite["code"].as_str().expect("code").to_owned()
}

async fn redeem(api: &Api, t: &Tenant, key: &str, code: &str) -> vestibule_tests::Resp {
    api.check_in(&t.device, key, &json!({"invite_code": code}))
        .await
}

async fn invited_visitors_check_in_with_their_code(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "inviting").await;
    let ada = invite(&api, &t.admin, &t, &t.host, "Ada Lovelace", Utc::now()).await;
    let code = code_of(&ada);
    assert!(
        code.len() == 11 && code.as_bytes()[5] == b'-',
        "XXXXX-XXXXX: {code}"
    );
    assert_eq!(ada["state"], "expected");
    assert_eq!(ada["host_name"], "Harriet Host");

    // Today's list has her, without the code (which the server does not keep).
    let list = api
        .get(&format!("/api/v1/invites?site_id={}", t.site), &t.admin)
        .await
        .expect(200);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["visitor_name"], "Ada Lovelace");
    assert!(list[0].get("code").is_none(), "{list}");

    // The kiosk: the code typed in lower case without its dash; the greeting before the
    // agreement and the check-in's answer name only her first name and her host.
    let typed = code.replace('-', "").to_lowercase();
    let hello = api
        .post(
            "/api/v1/kiosk/invites/lookup",
            &t.device,
            json!({"invite_code": typed}),
        )
        .await
        .expect(200);
    assert_eq!(
        hello,
        json!({"visitor_first_name": "Ada", "host_name": "Harriet Host"})
    );
    let r = redeem(&api, &t, "ada-1", &typed).await;
    let text = r.text.clone();
    let done = r.expect(201);
    assert_eq!(done["visitor_first_name"], "Ada");
    assert_eq!(done["host_name"], "Harriet Host");
    for private in ["Lovelace", "example.com", "Analytical", "parking"] {
        assert!(!text.contains(private), "the kiosk got {private:?}: {text}");
    }
    let visit = done["visit_id"].as_str().expect("visit").to_owned();

    // A retry is the same visit; the same code under another key is refused.
    let again = redeem(&api, &t, "ada-1", &typed).await;
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.expect(201)["visit_id"], visit.as_str());
    let r = redeem(&api, &t, "ada-2", &code).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (404, "not_found"),
        "{}",
        r.text
    );
    let r = api
        .post(
            "/api/v1/kiosk/invites/lookup",
            &t.device,
            json!({"invite_code": code}),
        )
        .await;
    assert_eq!(r.status, 404, "a used code greets nobody: {}", r.text);

    // The visit is hers, and the invitation points at it.
    let v = api
        .get(&format!("/api/v1/visits/{visit}"), &t.admin)
        .await
        .expect(200);
    assert_eq!(
        (v["visitor_name"].as_str(), v["visitor_company"].as_str()),
        (Some("Ada Lovelace"), Some("Analytical Engines"))
    );
    let id = ada["id"].as_str().expect("id");
    let now = api
        .get(&format!("/api/v1/invites/{id}"), &t.admin)
        .await
        .expect(200);
    assert_eq!(
        (now["state"].as_str(), now["visit_id"].as_str()),
        (Some("checked_in"), Some(visit.as_str()))
    );

    // Cancelled and expired codes are refused like unknown ones.
    let bob = invite(&api, &t.admin, &t, &t.host, "Bob Babbage", Utc::now()).await;
    let bob_id = bob["id"].as_str().expect("id");
    let path = format!("/api/v1/invites/{bob_id}");
    let r = api.send(Method::DELETE, &path, &t.admin, None, &[]).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = api.send(Method::DELETE, &path, &t.admin, None, &[]).await;
    assert_eq!(r.status, 409, "{}", r.text);
    let r = redeem(&api, &t, "bob", &code_of(&bob)).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let past = Utc::now() - Duration::hours(47);
    let old = invite(&api, &t.admin, &t, &t.host, "Old Timer", past).await;
    assert_eq!(old["state"], "expired");
    let r = redeem(&api, &t, "old", &code_of(&old)).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let day = past.format("%Y-%m-%d");
    let then = api
        .get(&format!("/api/v1/invites?date={day}"), &t.admin)
        .await
        .expect(200);
    assert!(
        then.as_array()
            .is_some_and(|l| l.iter().any(|i| i["state"] == "expired")),
        "{then}"
    );

    // Another tenant's kiosk cannot use this tenant's code.
    let other = Tenant::setup(&api, &server.operator_token, "elsewhere").await;
    let carol = invite(&api, &t.admin, &t, &t.host, "Carol Crossing", Utc::now()).await;
    let r = redeem(&api, &other, "carol", &code_of(&carol)).await;
    assert_eq!(r.status, 404, "{}", r.text);
    redeem(&api, &t, "carol", &code_of(&carol))
        .await
        .expect(201);

    // The desk checks an invited visitor in on arrival, once.
    let desk = api.login(&t.slug, &t.receptionist).await;
    let dan = invite(&api, &desk, &t, &t.host, "Dan Desk", Utc::now()).await;
    let path = format!(
        "/api/v1/invites/{}/check-in",
        dan["id"].as_str().expect("id")
    );
    let done = api.post(&path, &desk, json!({})).await.expect(201);
    assert!(
        done["badge_code"].as_str().is_some_and(|b| b.len() == 8),
        "{done}"
    );
    let r = api.post(&path, &desk, json!({})).await;
    assert_eq!(r.status, 409, "{}", r.text);
    let hosts = api.get("/api/v1/invites/hosts", &desk).await.expect(200);
    assert_eq!(hosts[0]["name"], "Harriet Host", "{hosts}");

    // Bad input changes nothing.
    for bad in [
        json!({"invite_code": "short"}),
        json!({"invite_code": "AAAAA-AAAAA", "visitor": {}}),
        json!({"invite_code": 12}),
    ] {
        let r = api.check_in(&t.device, "bad", &bad).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
    }
    let bad = json!({"visitor": {"name": "N", "email": "n@example.com"}, "host_id": t.host, "site_id": t.site,
        "expected_at": Utc::now() + Duration::days(400)});
    let r = api.post("/api/v1/invites", &t.admin, bad).await;
    assert_eq!(r.status, 422, "{}", r.text);
}

async fn hosts_invite_their_own_visitors(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "hostinv").await;
    let harriet = "harriet@hostinv.test";
    host_account(&api, &t, harriet).await;
    let boris = api
        .create_host(&t.admin, &t.site, "Boris Board", "boris@hostinv.test")
        .await;
    let host = api.login("hostinv", harriet).await;
    let mine = invite(&api, &host, &t, &t.host, "Dora Mine", Utc::now()).await;
    let body = json!({"visitor": {"name": "Eve Theirs", "email": "eve@example.com"},
        "host_id": boris, "site_id": t.site, "expected_at": Utc::now()});
    let r = api.post("/api/v1/invites", &host, body).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let theirs = invite(&api, &t.admin, &t, &boris, "Fred Theirs", Utc::now()).await;
    let hosts = api.get("/api/v1/invites/hosts", &host).await.expect(200);
    assert_eq!(
        hosts.as_array().map(Vec::len),
        Some(1),
        "only her own: {hosts}"
    );
    let list = api.get("/api/v1/invites", &host).await.expect(200);
    let names: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|i| i["visitor_name"].as_str())
        .collect();
    assert_eq!(names, ["Dora Mine"]);
    let all = api.get("/api/v1/invites", &t.admin).await.expect(200);
    assert_eq!(all.as_array().map(Vec::len), Some(2));
    let path = format!("/api/v1/invites/{}", theirs["id"].as_str().expect("id"));
    assert_eq!(api.get(&path, &host).await.status, 404);
    let r = api.send(Method::DELETE, &path, &host, None, &[]).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let path = format!("/api/v1/invites/{}", mine["id"].as_str().expect("id"));
    let r = api.send(Method::DELETE, &path, &host, None, &[]).await;
    assert_eq!(r.status, 204, "{}", r.text);
}

async fn invitations_come_in_bulk_and_again(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "bulk").await;
    let harriet = "harriet@bulk.test";
    let tomorrow = (Utc::now() + Duration::days(1)).date_naive();
    let header = "name,email,host_email,expected_at,company,note";

    // One bad row anywhere: nothing is created, and each bad row is reported on its line.
    let bad = format!(
        "{header}\nAda Lovelace,ada@example.com,{harriet},{tomorrow} 10:00,,\n\
         ,nobody@example.com,{harriet},{tomorrow} 10:00,,\n\
         Alan Turing,alan@example.com,nobody@bulk.test,{tomorrow} 10:00,,\n\
         Grace Hopper,grace@example.com,{harriet},next week,,\n\
         Linus,linus@example.com,{harriet},2001-01-01 10:00,,\n"
    );
    let r = api.post_csv("/api/v1/invites/import", &t.admin, &bad).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.bad_rows(),
        [
            (3, "name".into()),
            (4, "host_email".into()),
            (5, "expected_at".into()),
            (6, "expected_at".into())
        ]
    );
    let none = api.get("/api/v1/invites", &t.admin).await.expect(200);
    assert_eq!(none.as_array().map(Vec::len), Some(0), "nothing created");
    let r = api
        .post_csv(
            "/api/v1/invites/import",
            &t.admin,
            "name,email\nA,a@example.com\n",
        )
        .await;
    assert_eq!(r.status, 422, "the required columns: {}", r.text);

    // A good file: each row an invitation with its code; a time without an offset is the site's.
    let good = format!(
        "{header}\nAda Lovelace,ada@example.com,{harriet},{tomorrow} 10:00,Analytical Engines,Parking\n\
         Alan Turing,alan@example.com,HARRIET@bulk.test,{tomorrow}T08:00:00Z,,\n"
    );
    let done = api
        .post_csv("/api/v1/invites/import", &t.admin, &good)
        .await
        .expect(201);
    assert_eq!(done["imported"], 2, "{done}");
    let ada = &done["invites"][0];
    assert_eq!(ada["visitor_company"], "Analytical Engines");
    assert_eq!(ada["host_name"], "Harriet Host");
    let at = |i: &serde_json::Value| {
        chrono::DateTime::parse_from_rfc3339(i["expected_at"].as_str().expect("at"))
            .expect("a time")
            .with_timezone(&Utc)
    };
    let naive = tomorrow.and_hms_opt(10, 0, 0).expect("10:00").and_utc();
    assert!(
        [Duration::hours(1), Duration::hours(2)].contains(&(naive - at(ada))),
        "10:00 in Paris: {}",
        ada["expected_at"]
    );
    assert_eq!(
        at(&done["invites"][1]),
        tomorrow.and_hms_opt(8, 0, 0).expect("8:00").and_utc()
    );
    let hello = api
        .post(
            "/api/v1/kiosk/invites/lookup",
            &t.device,
            json!({"invite_code": code_of(ada)}),
        )
        .await
        .expect(200);
    assert_eq!(hello["visitor_first_name"], "Ada");

    // A host imports for themselves only.
    host_account(&api, &t, harriet).await;
    api.create_host(&t.admin, &t.site, "Boris Board", "boris@bulk.test")
        .await;
    let host = api.login("bulk", harriet).await;
    let theirs = format!("{header}\nEve,eve@example.com,boris@bulk.test,{tomorrow} 11:00,,\n");
    let r = api.post_csv("/api/v1/invites/import", &host, &theirs).await;
    assert_eq!(r.bad_rows(), [(2, "host_email".into())], "{}", r.text);
    let mine = format!("{header}\nEve,eve@example.com,{harriet},{tomorrow} 11:00,,\n");
    let r = api.post_csv("/api/v1/invites/import", &host, &mine).await;
    assert_eq!(r.expect(201)["imported"], 1);

    // Sent again: a new code, and the old one no longer opens the invitation.
    let old = code_of(ada);
    let path = format!("/api/v1/invites/{}/resend", ada["id"].as_str().expect("id"));
    let again = api.post(&path, &t.admin, json!({})).await.expect(200);
    let new = code_of(&again);
    assert_ne!(new, old);
    let lookup = |code: String| {
        api.post(
            "/api/v1/kiosk/invites/lookup",
            &t.device,
            json!({"invite_code": code}),
        )
    };
    assert_eq!(lookup(old).await.status, 404);
    assert_eq!(
        lookup(new.clone()).await.expect(200)["visitor_first_name"],
        "Ada"
    );
    let r = redeem(&api, &t, "ada-bulk", &new).await;
    r.expect(201);
    let r = api.post(&path, &t.admin, json!({})).await;
    assert_eq!(
        r.status, 409,
        "a used invitation is not sent again: {}",
        r.text
    );
}

/// Guessing codes at one kiosk meets the back-off (429) long before a thousand guesses.
async fn guessing_codes_is_slowed_down(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "guessing").await;
    let mut limited_at = None;
    for i in 0..1000 {
        let guess = format!("ABCDE{:05}", i).replace('0', "Z").replace('1', "Y");
        let r = redeem(&api, &t, &format!("guess-{i}"), &guess).await;
        match r.status.as_u16() {
            404 => {}
            429 => {
                assert!(r.headers.contains_key("retry-after"));
                limited_at = Some(i);
                break;
            }
            other => panic!("guess {i}: {other} {}", r.text),
        }
    }
    let at = limited_at.expect("1,000 wrong codes were never slowed down");
    eprintln!("[invites] wrong codes slowed down from guess {}", at + 1);
    assert!(at <= 20, "slowed down only after {at} guesses");
}

both_engines!(
    invited_visitors_check_in_with_their_code,
    hosts_invite_their_own_visitors,
    guessing_codes_is_slowed_down,
    invitations_come_in_bulk_and_again
);
