//! Sealed offline check-ins on both engines, sealed here as a kiosk would (HPKE, RFC 9180, with
//! the suite and associated data the contract names): one delivered opens, is recorded at its
//! sealed time with its provisional badge code, flagged `offline`, audited, and the host's email
//! goes out; the same delivery again makes no second visit; one under an unknown key, with
//! altered bytes or associated data, another kiosk's id, a time in the future or older than the
//! window, a code outside the kiosk's prefix, or from a revoked kiosk is refused in the envelope
//! and changes nothing; `keys rotate-dek` between sealing and delivery still opens it; and one
//! whose host was removed meanwhile is recorded without a host, the desk alerted.

use std::time::Duration;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, SubsecRound, Utc};
use hpke::{
    Deserializable, OpModeS, Serializable, aead::ChaCha20Poly1305, kdf::HkdfSha256,
    kem::X25519HkdfSha256,
};
use reqwest::Method;
use serde_json::{Value, json};
use vestibule_shared::dto::offline::{HPKE_INFO, associated_data};
use vestibule_tests::{Api, Auth, Engine, Resp, Tenant, TestServer, api::visitor, wait_until};

use super::mail::{header, tls_mail};

/// A kiosk's offline key as the server gave it.
struct Key {
    kid: String,
    public: <X25519HkdfSha256 as hpke::Kem>::PublicKey,
    kiosk_id: uuid::Uuid,
    prefix: String,
}

async fn offline_key(api: &Api, device: &Auth) -> Key {
    let k = api
        .get("/api/v1/kiosk/offline-key", device)
        .await
        .expect(200);
    let bytes = URL_SAFE_NO_PAD
        .decode(k["public_key"].as_str().expect("public key"))
        .expect("base64url");
    Key {
        kid: k["kid"].as_str().expect("kid").to_owned(),
        public: <X25519HkdfSha256 as hpke::Kem>::PublicKey::from_bytes(&bytes).expect("X25519"),
        kiosk_id: k["kiosk_id"].as_str().expect("id").parse().expect("uuid"),
        prefix: k["badge_prefix"].as_str().expect("prefix").to_owned(),
    }
}

/// Seals `plain` as the kiosk `aad_kiosk` would under idempotency key `key` at `at`.
fn seal(k: &Key, aad_kiosk: uuid::Uuid, key: &str, at: DateTime<Utc>, plain: &Value) -> Value {
    let aad = associated_data(aad_kiosk, key, at);
    let (enc, ct) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
        &OpModeS::Base,
        &k.public,
        HPKE_INFO,
        plain.to_string().as_bytes(),
        &aad,
    )
    .expect("sealed");
    json!({
        "kid": k.kid,
        "enc": URL_SAFE_NO_PAD.encode(enc.to_bytes()),
        "ciphertext": URL_SAFE_NO_PAD.encode(ct),
        "sealed_at": at,
    })
}

async fn deliver(api: &Api, device: &Auth, key: &str, body: &Value) -> Resp {
    api.send(
        Method::POST,
        "/api/v1/kiosk/visits/sealed",
        device,
        Some(body),
        &[("Idempotency-Key", key)],
    )
    .await
}

async fn visit_count(api: &Api, t: &Tenant) -> u64 {
    let log = api
        .get("/api/v1/visits?limit=1", &t.admin)
        .await
        .expect(200);
    log["total"].as_u64().expect("total")
}

async fn sealed_check_ins_arrive_once_and_only_as_sealed(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "outage").await;
    let smtp = tls_mail(&server, &api, &t).await;

    // Each kiosk has its own prefix of provisional codes; asking again changes nothing.
    let k = offline_key(&api, &t.device).await;
    assert!(
        k.prefix.len() == 3 && k.prefix.starts_with('Z'),
        "{}",
        k.prefix
    );
    let again = offline_key(&api, &t.device).await;
    assert_eq!(
        (again.kid.as_str(), again.prefix.as_str()),
        (k.kid.as_str(), k.prefix.as_str())
    );
    let (_, code) = api.create_kiosk(&t.admin, &t.site).await;
    let other = api.enroll(&code).await;
    let ok = offline_key(&api, &other).await;
    assert_eq!(ok.kid, k.kid, "one key per tenant");
    assert_ne!(ok.prefix, k.prefix, "a prefix per kiosk");

    let at = (Utc::now() - chrono::Duration::minutes(10)).trunc_subsecs(3);
    let badge = format!("{}22345", k.prefix);
    let plain = json!({
        "badge_code": badge,
        "check_in": visitor(&t.host, "Olivia Offline", "olivia@visitor.test"),
    });
    let before = visit_count(&api, &t).await;

    // Refused, each in the envelope, and nothing changes.
    let good = seal(&k, k.kiosk_id, "offline-1", at, &plain);
    let mut unknown_kid = good.clone();
    unknown_kid["kid"] = json!(uuid::Uuid::now_v7());
    let mut altered = good.clone();
    let mut ct = URL_SAFE_NO_PAD
        .decode(good["ciphertext"].as_str().expect("ct"))
        .expect("b64");
    ct[5] ^= 1;
    altered["ciphertext"] = json!(URL_SAFE_NO_PAD.encode(&ct));
    let mut moved_time = good.clone();
    moved_time["sealed_at"] = json!(at + chrono::Duration::milliseconds(1));
    let future = Utc::now().trunc_subsecs(3) + chrono::Duration::hours(1);
    let stale = Utc::now().trunc_subsecs(3) - chrono::Duration::hours(73);
    let foreign_code = json!({
        "badge_code": format!("{}22345", ok.prefix),
        "check_in": visitor(&t.host, "Olivia Offline", "olivia@visitor.test"),
    });
    let refusals = [
        ("an unknown key", &t.device, "offline-1", unknown_kid),
        ("altered bytes", &t.device, "offline-1", altered),
        (
            "another idempotency key",
            &t.device,
            "offline-2",
            good.clone(),
        ),
        ("another time", &t.device, "offline-1", moved_time),
        (
            "another kiosk's delivery",
            &other,
            "offline-1",
            good.clone(),
        ),
        (
            "another kiosk's id",
            &t.device,
            "offline-1",
            seal(&k, ok.kiosk_id, "offline-1", at, &plain),
        ),
        (
            "a time in the future",
            &t.device,
            "offline-1",
            seal(&k, k.kiosk_id, "offline-1", future, &plain),
        ),
        (
            "a time older than the window",
            &t.device,
            "offline-1",
            seal(&k, k.kiosk_id, "offline-1", stale, &plain),
        ),
        (
            "another kiosk's badge code",
            &t.device,
            "offline-1",
            seal(&k, k.kiosk_id, "offline-1", at, &foreign_code),
        ),
    ];
    for (what, device, key, body) in &refusals {
        let r = deliver(&api, device, key, body).await;
        assert_eq!(r.status, 422, "{what}: {:?}", r.body);
        assert!(
            r.body["error"]["message"].is_string(),
            "{what}: {:?}",
            r.body
        );
        assert!(
            !r.text.contains("olivia") && !r.text.contains("Olivia"),
            "{what}: {}",
            r.text
        );
    }
    assert_eq!(
        visit_count(&api, &t).await,
        before,
        "refusals change nothing"
    );

    // Delivered: recorded at its sealed time, with its code, flagged offline; the host is told.
    let r = deliver(&api, &t.device, "offline-1", &good).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["badge_code"], json!(badge));
    assert_eq!(r.body["offline"], json!(true));
    let replay = deliver(&api, &t.device, "offline-1", &good).await;
    assert_eq!(replay.status, 201, "{:?}", replay.body);
    assert_eq!(
        replay.body["visit_id"], r.body["visit_id"],
        "the same visit"
    );
    assert_eq!(visit_count(&api, &t).await, before + 1, "one visit");
    let log = api
        .get("/api/v1/visits?limit=5", &t.admin)
        .await
        .expect(200);
    let v = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|v| v["id"] == r.body["visit_id"])
        .expect("the visit")
        .clone();
    assert_eq!(v["offline"], json!(true));
    assert_eq!(v["badge_code"], json!(badge));
    let recorded: DateTime<Utc> = v["checked_in_at"]
        .as_str()
        .expect("time")
        .parse()
        .expect("rfc3339");
    assert_eq!(recorded, at, "recorded at its sealed time");
    let target = format!("visit:{}", v["id"].as_str().expect("id"));
    wait_until(
        "the check-in audited",
        Duration::from_secs(20),
        async || {
            let audit = api
                .get("/api/v1/audit?limit=50", &t.admin)
                .await
                .expect(200);
            audit.to_string().contains(&target).then_some(())
        },
    )
    .await;
    wait_until("the host's email", Duration::from_secs(20), async || {
        smtp.messages()
            .iter()
            .any(|m| header(m, "To").is_some_and(|h| h.contains("harriet@outage.test")))
            .then_some(())
    })
    .await;

    // A revoked kiosk delivers nothing.
    let kiosks = api.get("/api/v1/kiosks", &t.admin).await.expect(200);
    let other_id = kiosks
        .as_array()
        .expect("list")
        .iter()
        .find(|x| x["id"].as_str() == Some(ok.kiosk_id.to_string().as_str()))
        .expect("the other kiosk")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    api.post(
        &format!("/api/v1/kiosks/{other_id}/revoke"),
        &t.admin,
        json!({}),
    )
    .await
    .expect(204);
    let theirs = json!({
        "badge_code": format!("{}22345", ok.prefix),
        "check_in": visitor(&t.host, "Rita Revoked", "rita@visitor.test"),
    });
    let r = deliver(
        &api,
        &other,
        "revoked-1",
        &seal(&ok, ok.kiosk_id, "revoked-1", at, &theirs),
    )
    .await;
    assert_eq!(r.status, 401, "{:?}", r.body);
    assert_eq!(
        visit_count(&api, &t).await,
        before + 1,
        "nothing from a revoked kiosk"
    );

    // Sealed before a data-key rotation, delivered after: it still opens; the kiosk gets a new key.
    let plain = json!({
        "badge_code": format!("{}22346", k.prefix),
        "check_in": visitor(&t.host, "Rowan Rotation", "rowan@visitor.test"),
    });
    let before_rotation = seal(&k, k.kiosk_id, "offline-3", at, &plain);
    let out = server
        .command(&["keys", "rotate-dek", "--all", "--batch-size", "25"])
        .await;
    assert!(out.contains("older data keys destroyed"), "{out}");
    let r = deliver(&api, &t.device, "offline-3", &before_rotation).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let rotated = offline_key(&api, &t.device).await;
    assert_ne!(
        rotated.kid, k.kid,
        "a new offline key with the new data key"
    );
    assert_eq!(rotated.prefix, k.prefix);
    assert_eq!(visit_count(&api, &t).await, before + 2);
}

/// A check-in sealed for a host who is removed before it arrives is still recorded, without a
/// host; the desk (admins and receptionists) is alerted by email, and once a receptionist sets
/// the host on the visit, the host is told.
async fn a_sealed_check_in_for_a_removed_host_is_kept(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "gone").await;
    let smtp = tls_mail(&server, &api, &t).await;
    let leaving = api
        .create_host(&t.admin, &t.site, "Lena Leaving", "lena@gone.test")
        .await;
    let k = offline_key(&api, &t.device).await;
    let at = (Utc::now() - chrono::Duration::minutes(20)).trunc_subsecs(3);
    let plain = json!({
        "badge_code": format!("{}32345", k.prefix),
        "check_in": visitor(&leaving, "Hugo Hostless", "hugo@visitor.test"),
    });
    let sealed = seal(&k, k.kiosk_id, "hostless-1", at, &plain);
    api.send(
        Method::DELETE,
        &format!("/api/v1/hosts/{leaving}"),
        &t.admin,
        None,
        &[],
    )
    .await
    .expect(204);

    let r = deliver(&api, &t.device, "hostless-1", &sealed).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["host_notification"], "none", "{:?}", r.body);
    let replay = deliver(&api, &t.device, "hostless-1", &sealed).await;
    assert_eq!(replay.body["visit_id"], r.body["visit_id"], "one visit");
    let id = r.body["visit_id"].as_str().expect("id").to_owned();
    let v = api
        .get(&format!("/api/v1/visits/{id}"), &t.admin)
        .await
        .expect(200);
    assert_eq!(
        (&v["host_id"], &v["host_name"], &v["offline"]),
        (&Value::Null, &Value::Null, &json!(true)),
        "{v}"
    );
    let alert = wait_until("the desk's alert", Duration::from_secs(20), async || {
        smtp.messages()
            .into_iter()
            .find(|m| header(m, "Subject").is_some_and(|s| s.contains("without a host")))
    })
    .await;
    let to = header(&alert, "To").unwrap_or_default();
    assert!(
        to.contains("admin@gone.test") && to.contains("desk@gone.test"),
        "{to}"
    );
    assert!(!to.contains("lena@gone.test"), "{to}");

    // The receptionist finds the host and sets it: the host hears of their visitor.
    let desk = api.login("gone", &t.receptionist).await;
    let fixed = api
        .patch(
            &format!("/api/v1/visits/{id}"),
            &desk,
            json!({"host_id": t.host}),
        )
        .await
        .expect(200);
    assert_eq!(fixed["host_id"], json!(t.host), "{fixed}");
    wait_until("the host's email", Duration::from_secs(20), async || {
        smtp.messages()
            .iter()
            .any(|m| header(m, "To").is_some_and(|h| h.contains("harriet@gone.test")))
            .then_some(())
    })
    .await;
}

both_engines!(sealed_check_ins_arrive_once_and_only_as_sealed);
both_engines!(a_sealed_check_in_for_a_removed_host_is_kept);
