//! SCIM 2.0 provisioning: scim2-tester (pinned, from the test virtualenv) finds no failure in
//! what `/scim/v2` declares; the request shapes Entra ID and Okta send work on both engines; a
//! deactivated user leaves the kiosk directory at once; only an API key of scope `scim` gets in.

use reqwest::Method;
use serde_json::{Value, json};
use vestibule_tests::{Api, Auth, Engine, Tenant, TestServer, pytools::python_tool};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn ops(ops: Value) -> Value {
    json!({"schemas": [PATCH], "Operations": ops})
}

async fn directory(api: &Api, t: &Tenant, q: &str) -> Vec<String> {
    api.get(&format!("/api/v1/kiosk/hosts?q={q}"), &t.device)
        .await
        .expect(200)
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["display_name"].as_str().expect("name").to_owned())
        .collect()
}

#[tokio::test]
async fn scim2_tester_finds_no_failure() {
    let Some(python) = python_tool("python") else {
        return;
    };
    let server = TestServer::start(Engine::Sqlite).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "scimtest").await;
    let (_, key) = api.create_api_key(&t.admin, "Tester", &["scim"]).await;
    let Auth::Bearer(key) = key else {
        panic!("a key")
    };
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scim/check.py");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .arg(server.base())
        .arg(&key)
        .arg(server.data_dir.path().join("tls/cert.pem"))
        .output()
        .await
        .expect("run scim2-tester");
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "scim2-tester found failures:\n{stdout}"
    );
    assert!(stdout.contains("scim2-tester:"), "{stdout}");
}

async fn identity_providers(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "idp").await;
    let (_, key) = api.create_api_key(&t.admin, "Entra ID", &["scim"]).await;

    // Entra ID creates a user: a UPN as userName, the work email, names, an externalId.
    let entra = json!({
        "schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": "e-0001",
        "userName": "Nadia.Novak@idp.test",
        "active": true,
        "displayName": "Nadia Novak",
        "name": {"formatted": "Nadia Novak", "familyName": "Novak", "givenName": "Nadia"},
        "emails": [{"primary": true, "type": "work", "value": "nadia@idp.test"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"}
    });
    let r = api.post("/scim/v2/Users", &key, entra.clone()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.headers["content-type"].to_str().expect("type"),
        "application/scim+json"
    );
    let id = r.str("id");
    assert_eq!(r.body["active"], true);
    assert_eq!(r.body["meta"]["resourceType"], "User");
    // The same userName again (case aside) is a conflict.
    let mut again = entra.clone();
    again["userName"] = json!("nadia.novak@IDP.test");
    let r = api.post("/scim/v2/Users", &key, again).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.body["scimType"], "uniqueness");

    // It is a host, at the kiosk, with the work email.
    let hosts = api.get("/api/v1/hosts", &t.admin).await.expect(200);
    let host = hosts
        .as_array()
        .expect("hosts")
        .iter()
        .find(|h| h["id"] == id.as_str())
        .expect("the host")
        .clone();
    assert_eq!(host["email"], "nadia@idp.test");
    assert_eq!(host["provisioned"], true);
    assert_eq!(directory(&api, &t, "Nadia").await, ["Nadia Novak"]);

    // Both look users up by userName and by externalId; paging counts from 1.
    for filter in [
        "userName eq \"nadia.novak@idp.test\"",
        "externalId eq \"e-0001\"",
    ] {
        let q = filter.replace(' ', "%20").replace('"', "%22");
        let found = api
            .get(&format!("/scim/v2/Users?filter={q}"), &key)
            .await
            .expect(200);
        assert_eq!(found["totalResults"], 1, "{filter}");
        assert_eq!(found["Resources"][0]["id"], id.as_str());
    }
    let none = api
        .get(
            "/scim/v2/Users?filter=userName%20eq%20%22nobody%40idp.test%22",
            &key,
        )
        .await
        .expect(200);
    assert_eq!(none["totalResults"], 0);
    assert_eq!(none["Resources"], json!([]));
    let r = api
        .get("/scim/v2/Users?filter=title%20co%20%22x%22", &key)
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["scimType"], "invalidFilter");
    for n in 0..3 {
        let body = json!({"schemas": [USER], "userName": format!("u{n}@idp.test")});
        api.post("/scim/v2/Users", &key, body).await.expect(201);
    }
    let page = api
        .get("/scim/v2/Users?startIndex=2&count=2", &key)
        .await
        .expect(200);
    assert_eq!(page["totalResults"], 4);
    assert_eq!(page["startIndex"], 2);
    assert_eq!(page["itemsPerPage"], 2);
    assert_eq!(page["Resources"][0]["userName"], "u0@idp.test");

    // Entra ID deactivates with "False" in a string: gone from the kiosk at once, and no
    // check-in with them as host.
    let path = format!("/scim/v2/Users/{id}");
    let body = ops(json!([{"op": "Replace", "path": "active", "value": "False"}]));
    let r = api.patch(&path, &key, body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["active"], false);
    assert!(directory(&api, &t, "Nadia").await.is_empty());
    let visit = vestibule_tests::api::visitor(&id, "Vera Visitor", "vera@example.com");
    let r = api.check_in(&t.device, "to-nadia", &visit).await;
    assert_eq!(r.status, 404, "{}", r.text);
    // Entra ID changes the work email and a name in dotted keys.
    let body = ops(json!([
        {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "nadia.novak@idp.test"},
        {"op": "Replace", "value": {"name.givenName": "Nadja", "displayName": "Nadja Novak"}}
    ]));
    let r = api.patch(&path, &key, body).await.expect(200);
    assert_eq!(r["emails"][0]["value"], "nadia.novak@idp.test");
    // Okta reactivates with a path-less value.
    let body = ops(json!([{"op": "replace", "value": {"active": true}}]));
    api.patch(&path, &key, body).await.expect(200);
    assert_eq!(directory(&api, &t, "Nadja").await, ["Nadja Novak"]);
    api.check_in(&t.device, "to-nadja", &visit)
        .await
        .expect(201);
    // Okta replaces the whole user (PUT).
    let okta = json!({"schemas": [USER], "userName": "nadia.novak@idp.test", "active": true,
        "name": {"givenName": "Nadja", "familyName": "Novak-Smith"},
        "emails": [{"value": "nadja@idp.test", "primary": true, "type": "work"}]});
    let r = api.put(&path, &key, okta).await.expect(200);
    assert_eq!(r["name"]["familyName"], "Novak-Smith");
    assert!(r.get("externalId").is_none() && r.get("displayName").is_none());
    let host = api
        .get(&format!("/api/v1/hosts/{id}"), &t.admin)
        .await
        .expect(200);
    assert_eq!(host["name"], "Nadja Novak-Smith");
    assert_eq!(host["email"], "nadja@idp.test");
    // Only what was asked for.
    let some = api
        .get(&format!("{path}?attributes=userName"), &key)
        .await
        .expect(200);
    assert!(some.get("name").is_none() && some["userName"] == "nadia.novak@idp.test");

    // Removed: a 404 from then on; the host stays for the visit log, out of the directory.
    api.send(Method::DELETE, &path, &key, None, &[])
        .await
        .expect(204);
    assert_eq!(api.get(&path, &key).await.status, 404);
    assert!(directory(&api, &t, "Nadja").await.is_empty());
    let host = api
        .get(&format!("/api/v1/hosts/{id}"), &t.admin)
        .await
        .expect(200);
    assert_eq!(host["active"], false);

    // A broken body, a bad patch: SCIM errors, nothing changed.
    let r = api
        .send(Method::POST, "/scim/v2/Users", &key, None, &[])
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    let other = page["Resources"][0]["id"].as_str().expect("id").to_owned();
    let r = api
        .patch(
            &format!("/scim/v2/Users/{other}"),
            &key,
            ops(json!([{"op": "replace", "path": "meta.created", "value": "x"}])),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["scimType"], "invalidPath");

    // Only a key of scope scim: not a signed-in admin, not another scope.
    assert_eq!(api.get("/scim/v2/Users", &t.admin).await.status, 403);
    let (_, hosts_key) = api.create_api_key(&t.admin, "HR", &["hosts:write"]).await;
    assert_eq!(api.get("/scim/v2/Users", &hosts_key).await.status, 403);
    assert_eq!(api.get("/scim/v2/Users", &Auth::None).await.status, 401);
    // The audit log names the key.
    let audit = api
        .get("/api/v1/audit?limit=100", &t.admin)
        .await
        .expect(200);
    assert!(audit.to_string().contains("scim.deactivate"));
}

both_engines!(identity_providers);
