//! Upgrades never lose data: every fixture under `tests/fixtures/upgrade/` (what each released
//! version left behind, see `vestibule_tests::upgrade`) is put back and opened by this build, which
//! migrates it; then the admin still sees everything the fixture's admin saw (so every sealed
//! field still decrypts), the audit chain still verifies, and logins, the kiosk, the receptionist's
//! override and the directory's API key still work.

use serde_json::{Value, json};
use vestibule_tests::{Auth, Engine, everything::state_of, upgrade};

/// Fields that time changes by itself: a visit still open when the fixture was made is signed
/// out at night (and a roll call's counts with it), invitations expire, kiosks and keys are seen
/// again, and the lists gain the test's own sign-ins and check-ins.
const MOVING: &[&str] = &[
    "status",
    "state",
    "checked_out_at",
    "checked_out_auto",
    "last_seen_at",
    "last_used_at",
    "closed_at",
    "counts",
    "safe",
    "missing",
    "unaccounted",
    "total",
];

const INVITES: &str = "/api/v1/invites";

/// Whether `seen` holds `expected`: every field of an object (but [`MOVING`] ones), and for an
/// array every element somewhere in `seen`'s (a newer build may add fields and rows).
fn holds(seen: &Value, expected: &Value, at: &str) -> Result<(), String> {
    match (seen, expected) {
        (Value::Object(s), Value::Object(e)) => e
            .iter()
            .filter(|(k, _)| !MOVING.contains(&k.as_str()))
            .try_for_each(|(k, v)| {
                holds(s.get(k).unwrap_or(&Value::Null), v, &format!("{at}.{k}"))
            }),
        (Value::Array(s), Value::Array(e)) => e.iter().enumerate().try_for_each(|(i, v)| {
            if s.iter().any(|x| holds(x, v, at).is_ok()) {
                Ok(())
            } else {
                Err(format!("{at}[{i}] = {v} is gone"))
            }
        }),
        _ if seen == expected => Ok(()),
        _ => Err(format!("{at}: {expected} became {seen}")),
    }
}

async fn upgrades_keep_everything(engine: Engine) {
    let mut versions: Vec<_> = std::fs::read_dir(upgrade::root())
        .expect("tests/fixtures/upgrade")
        .map(|d| d.expect("a fixture dir").path())
        .collect();
    versions.sort();
    assert!(!versions.is_empty(), "no upgrade fixture");
    for dir in versions {
        let (server, fixture) = upgrade::open(engine, &dir).await;
        let api = server.api();
        let admin = fixture.admin(&api).await;
        let mut state = state_of(&api, &admin, &fixture.site).await;
        // The invitations' list shows those still to come: each is read by its id instead.
        let mut expected = fixture.state.clone();
        let invites = expected[INVITES].take();
        state[INVITES] = Value::Null;
        for invite in invites.as_array().expect("invites") {
            let id = invite["id"].as_str().expect("id");
            let seen = api
                .get(&format!("/api/v1/invites/{id}"), &admin)
                .await
                .expect(200);
            if let Err(e) = holds(&seen, invite, INVITES) {
                panic!("after upgrading from {}: {e}", fixture.version);
            }
        }
        if let Err(e) = holds(&state, &expected, "") {
            panic!("after upgrading from {}: {e}", fixture.version);
        }
        let visits = &state["/api/v1/visits?limit=200"]["items"];
        for (id, name) in &fixture.visits {
            let visit = api
                .get(&format!("/api/v1/visits/{id}"), &admin)
                .await
                .expect(200);
            assert_eq!(&visit["visitor_name"], name.as_str(), "{visits}");
        }
        let chain = api.get("/api/v1/audit/verify", &admin).await.expect(200);
        assert_eq!(chain["valid"], true, "{chain}");
        // The kiosk's token from before the upgrade checks a visitor in and out.
        let device = fixture.device();
        let body = fixture.walk_in("Ulla Upgrade", "ulla@example.com");
        let visit = api
            .check_in(&device, "after-upgrade", &body)
            .await
            .expect(201)["visit_id"]
            .as_str()
            .expect("visit")
            .to_owned();
        api.post(
            &format!("/api/v1/visits/{visit}/checkout"),
            &admin,
            json!({}),
        )
        .await
        .expect(204);
        let desk = fixture.override_session(&api).await;
        assert!(matches!(desk, Auth::Override { .. }));
        let users = api
            .get("/scim/v2/Users", &Auth::bearer(&fixture.scim_key))
            .await
            .expect(200);
        assert!(users.to_string().contains("sam@bravo.test"), "{users}");
        let chain = api.get("/api/v1/audit/verify", &admin).await.expect(200);
        assert_eq!(chain["valid"], true, "{chain}");
    }
}

both_engines!(upgrades_keep_everything);
