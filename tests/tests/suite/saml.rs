//! SAML 2.0 single sign-on against a test IdP whose responses `xmlsec1` signs: a valid response
//! signs in (JSON token or browser cookie), the token works on admin routes; every attack of the
//! issue is refused with `saml_rejected` and no session; enforced SSO refuses password login.

use chrono::{Duration, Utc};
use rustls::pki_types::{CertificateDer, pem::PemObject};
use serde_json::{Value, json};
use vestibule_tests::{
    Api, Auth, Engine, Resp, TestServer,
    idp::{Alg, Claims, TestIdp, encode, signature_template},
};

/// One enterprise tenant with SSO set up against `idp`.
struct Sso {
    slug: String,
    admin: Auth,
    entity_id: String,
    acs: String,
}

/// A client like the harness's that does not follow redirects (to see a 303 and its cookie).
fn no_redirects(server: &TestServer) -> reqwest::Client {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&server.cert_pem()) {
        roots.add(cert.expect("PEM certificate")).expect("root");
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn form_value(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn setup(server: &TestServer, api: &Api, slug: &str, idp: &TestIdp, extra: Value) -> Sso {
    let op = Auth::bearer(server.operator_token.clone());
    let r = api
        .post(
            "/api/v1/operator/tenants",
            &op,
            json!({"slug": slug, "name": slug, "plan": "enterprise"}),
        )
        .await;
    let id = r.expect(201)["id"].as_str().expect("id").to_owned();
    api.create_user(
        &server.operator_token,
        &id,
        &format!("admin@{slug}.test"),
        "admin",
        None,
    )
    .await;
    api.create_user(
        &server.operator_token,
        &id,
        &format!("mallory@{slug}.test"),
        "receptionist",
        Some("246810"),
    )
    .await;
    let admin = api.login(slug, &format!("admin@{slug}.test")).await;
    let mut body = json!({"entity_id": idp.entity_id, "sso_url": format!("{}/healthz", api.base),
        "certificates": [idp.cert_pem()], "sp_base_url": api.base});
    for (k, v) in extra.as_object().into_iter().flatten() {
        body[k] = v.clone();
    }
    let cfg = api.put("/api/v1/sso/saml", &admin, body).await.expect(200);
    Sso {
        slug: slug.to_owned(),
        admin,
        entity_id: cfg["sp_entity_id"].as_str().expect("sp").into(),
        acs: cfg["acs_url"].as_str().expect("acs").into(),
    }
}

impl Sso {
    /// Starts an SP-initiated login; returns the AuthnRequest ID (which is also the RelayState).
    async fn start_login(&self, api: &Api) -> String {
        let res = api
            .client
            .get(format!("{}/api/v1/saml/{}/login", api.base, self.slug))
            .send()
            .await
            .expect("login");
        // The test IdP's SSO URL is the server's /healthz, so a followed redirect lands there.
        let url = match res.headers().get("location").and_then(|l| l.to_str().ok()) {
            Some(l) => reqwest::Url::parse(l).expect("a redirect URL"),
            None => res.url().clone(),
        };
        assert!(
            url.query_pairs().any(|(k, _)| k == "SAMLRequest"),
            "redirected with an AuthnRequest"
        );
        url.query_pairs()
            .find(|(k, _)| k == "RelayState")
            .map(|(_, v)| v.into_owned())
            .expect("RelayState")
    }

    fn claims(&self, idp: &TestIdp, who: &str, request: Option<&str>) -> Claims {
        Claims::new(
            idp,
            &self.entity_id,
            &self.acs,
            &format!("{who}@{}.test", self.slug),
            request,
        )
    }
}

async fn post_acs(api: &Api, slug: &str, xml: &str, relay: Option<&str>, json: bool) -> Resp {
    let mut body = format!("SAMLResponse={}", form_value(&encode(xml)));
    if let Some(r) = relay {
        body.push_str(&format!("&RelayState={}", form_value(r)));
    }
    let mut req = api
        .client
        .post(format!("{}/api/v1/saml/{slug}/acs", api.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if json {
        req = req.header("accept", "application/json");
    }
    let res = req.send().await.expect("acs");
    let (status, headers) = (res.status(), res.headers().clone());
    let text = res.text().await.unwrap_or_default();
    Resp {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

/// Asserts a refusal: 401 `saml_rejected`, a message with `why`, no token, no cookie.
#[track_caller]
fn refused(case: &str, r: &Resp, why: &str) {
    let msg = r.body["error"]["message"].as_str().unwrap_or_default();
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (401, "saml_rejected"),
        "{case}: {}",
        r.text
    );
    assert!(
        msg.contains(why),
        "{case}: message {msg:?} should say {why:?}"
    );
    assert!(
        r.body.get("token").is_none() && !r.headers.contains_key("set-cookie"),
        "{case}: no session"
    );
    println!("attack {case}: refused, 401 saml_rejected: {msg}");
}

fn token_of(r: &Resp) -> String {
    r.body["token"]
        .as_str()
        .expect("a session token")
        .to_owned()
}

/// `<ds:Signature…</ds:Signature>` of a signed document.
fn signature_of(xml: &str) -> String {
    let start = xml.find("<ds:Signature").expect("a signature");
    let end = xml.find("</ds:Signature>").expect("signature end") + "</ds:Signature>".len();
    xml[start..end].to_owned()
}

fn with_inside_signature(sig: &str, inner: &str) -> String {
    sig.replace("</ds:Signature>", &format!("{inner}</ds:Signature>"))
}

/// The XML signature wrapping attacks XSW1–XSW8 (Somorovsky et al., "On Breaking SAML", as
/// implemented by SAML Raider): mallory's genuine signed response re-arranged to carry an
/// assertion for the admin.
fn xsw(idp: &TestIdp, sso: &Sso, request: &str) -> Vec<(&'static str, String)> {
    let c = sso.claims(idp, "mallory", Some(request));
    let mut evil = sso.claims(idp, "admin", Some(request));
    evil.assertion_id = format!("{}e", c.assertion_id);
    evil.response_id = format!("{}e", c.response_id);
    let evil_unsigned = evil.assertion("");
    // Response-signature variants.
    let signed_response = idp.response_signed(&c, Alg::RsaSha256);
    let response_sig = signature_of(&signed_response);
    let original_response = c.response("", &c.assertion(""));
    // Assertion-signature variants.
    let signed_assertion = idp.sign(
        &c.assertion(&signature_template(&c.assertion_id, Alg::RsaSha256)),
        "Assertion",
    );
    let assertion_sig = signature_of(&signed_assertion);
    let original_assertion = c.assertion("");
    let evil_with_inner = evil_unsigned.replace(
        "</saml:Assertion>",
        &format!("{signed_assertion}</saml:Assertion>"),
    );
    vec![
        (
            "XSW1",
            evil.response(
                &with_inside_signature(&response_sig, &original_response),
                &evil_unsigned,
            ),
        ),
        (
            "XSW2",
            evil.response(
                &format!("{original_response}{response_sig}"),
                &evil_unsigned,
            ),
        ),
        (
            "XSW3",
            c.response("", &format!("{evil_unsigned}{signed_assertion}")),
        ),
        ("XSW4", c.response("", &evil_with_inner)),
        (
            "XSW5",
            c.response(
                "",
                &format!("{}{original_assertion}", evil.assertion(&assertion_sig)),
            ),
        ),
        (
            "XSW6",
            c.response(
                "",
                &evil.assertion(&with_inside_signature(&assertion_sig, &original_assertion)),
            ),
        ),
        (
            "XSW7",
            c.response(
                "",
                &format!("<samlp:Extensions>{signed_assertion}</samlp:Extensions>{evil_unsigned}"),
            ),
        ),
        (
            "XSW8",
            c.response(
                "",
                &evil.assertion(&with_inside_signature(
                    &assertion_sig,
                    &format!("<ds:Object>{original_assertion}</ds:Object>"),
                )),
            ),
        ),
    ]
}

async fn sso_sign_in_and_attacks(engine: Engine) {
    let started = std::time::Instant::now();
    let server = TestServer::start(engine).await;
    let api = server.api();
    let idp = TestIdp::new("https://idp.corp.test/saml");
    let a = setup(&server, &api, "corp", &idp, json!({})).await;

    // The SP metadata names the tenant's entity ID and ACS URL.
    let md = api.get("/api/v1/saml/corp/metadata", &Auth::None).await;
    assert_eq!(md.status.as_u16(), 200);
    assert!(
        md.text.contains(&a.entity_id) && md.text.contains(&a.acs),
        "{}",
        md.text
    );

    // A valid SP-initiated login, assertion signed: the token works on an admin route.
    let rid = a.start_login(&api).await;
    let ok = post_acs(
        &api,
        "corp",
        &idp.assertion_signed(&a.claims(&idp, "admin", Some(&rid)), Alg::RsaSha256),
        Some(&rid),
        true,
    )
    .await;
    assert_eq!(ok.status.as_u16(), 200, "{}", ok.text);
    let token = token_of(&ok);
    assert!(
        token.starts_with("vss_"),
        "the same kind of session token as a password login"
    );
    let session = Auth::bearer(token);
    assert_eq!(
        api.get("/api/v1/auth/me", &session).await.expect(200)["email"],
        "admin@corp.test"
    );
    api.get("/api/v1/users", &session).await.expect(200);

    // A valid one with the whole response signed, for a browser: cookie + 303 to the relay path.
    let rid = a.start_login(&api).await;
    let browser = Api::new(no_redirects(&server), api.base.clone());
    let r = post_acs(
        &browser,
        "corp",
        &idp.response_signed(&a.claims(&idp, "admin", Some(&rid)), Alg::RsaSha256),
        Some(&rid),
        false,
    )
    .await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.text);
    assert_eq!(r.headers["location"], "/", "to the relay path");
    let cookie = r.headers["set-cookie"].to_str().expect("cookie").to_owned();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("Secure")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().expect("name=value").to_owned();
    let me = api
        .send(
            reqwest::Method::GET,
            "/api/v1/auth/me",
            &Auth::None,
            None,
            &[("cookie", &pair)],
        )
        .await;
    assert_eq!(me.expect(200)["email"], "admin@corp.test");

    // The attacks, each on a fresh login request so that only the attack is wrong.
    let other = TestIdp::new("https://idp.corp.test/saml");
    let mut cases: Vec<(&str, String, &str)> = Vec::new();
    let rid = a.start_login(&api).await;
    let c = a.claims(&idp, "admin", Some(&rid));
    cases.push(("unsigned", c.response("", &c.assertion("")), "signature"));
    cases.push((
        "signed by another key",
        other.assertion_signed(&c, Alg::RsaSha256),
        "signature",
    ));
    cases.push((
        "SHA-1 signature",
        idp.assertion_signed(&c, Alg::RsaSha1),
        "SHA-1",
    ));
    let mut injected = a.claims(&idp, "admin", Some(&rid));
    injected.name_id = "admin@corp.test.evil.com".into();
    let signed = idp.assertion_signed(&injected, Alg::RsaSha256).replace(
        "admin@corp.test.evil.com",
        "admin@corp.test<!---->.evil.com",
    );
    cases.push(("comment injection in NameID", signed, "comment"));
    let mut wrong = c.clone();
    wrong.audience = "https://evil.test/sp".into();
    cases.push((
        "wrong audience",
        idp.assertion_signed(&wrong, Alg::RsaSha256),
        "audience",
    ));
    let mut wrong = c.clone();
    wrong.destination = "https://evil.test/acs".into();
    cases.push((
        "wrong destination (signed response)",
        idp.response_signed(&wrong, Alg::RsaSha256),
        "Destination",
    ));
    cases.push((
        "wrong destination (signed assertion)",
        idp.assertion_signed(&wrong, Alg::RsaSha256),
        "Destination",
    ));
    let mut wrong = c.clone();
    wrong.recipient = "https://evil.test/acs".into();
    cases.push((
        "wrong recipient",
        idp.assertion_signed(&wrong, Alg::RsaSha256),
        "Recipient",
    ));
    let mut wrong = c.clone();
    wrong.issuer = "https://evil.test/idp".into();
    cases.push((
        "wrong issuer",
        idp.assertion_signed(&wrong, Alg::RsaSha256),
        "issuer",
    ));
    let mut wrong = c.clone();
    (wrong.issue_instant, wrong.not_before, wrong.not_on_or_after) = (
        Utc::now() - Duration::minutes(20),
        Utc::now() - Duration::minutes(21),
        Utc::now() - Duration::minutes(15),
    );
    cases.push((
        "expired (issued 20 minutes ago)",
        idp.assertion_signed(&wrong, Alg::RsaSha256),
        "too long ago",
    ));
    let mut wrong = c.clone();
    wrong.not_on_or_after = Utc::now() - Duration::minutes(3);
    cases.push((
        "expired (NotOnOrAfter passed)",
        idp.assertion_signed(&wrong, Alg::RsaSha256),
        "expired",
    ));
    let mut wrong = c.clone();
    wrong.not_before = Utc::now() + Duration::minutes(10);
    cases.push((
        "not yet valid (NotBefore)",
        idp.assertion_signed(&wrong, Alg::RsaSha256),
        "not valid yet",
    ));
    let mut wrong = c.clone();
    wrong.in_response_to = Some("_not-the-request".into());
    cases.push((
        "InResponseTo mismatch",
        idp.assertion_signed(&wrong, Alg::RsaSha256),
        "InResponseTo",
    ));
    for (name, xml) in xsw(&idp, &a, &rid) {
        cases.push((name, xml, "forbidden structure"));
    }
    for (name, xml, why) in &cases {
        refused(
            name,
            &post_acs(&api, "corp", xml, Some(&rid), true).await,
            why,
        );
    }
    // None of them used up the request: it still signs in once, and only once.
    let good = idp.assertion_signed(&a.claims(&idp, "mallory", Some(&rid)), Alg::RsaSha256);
    assert_eq!(
        post_acs(&api, "corp", &good, Some(&rid), true)
            .await
            .expect(200)["token"]
            .as_str()
            .map(|t| t.starts_with("vss_")),
        Some(true)
    );
    refused(
        "replayed (request used)",
        &post_acs(&api, "corp", &good, Some(&rid), true).await,
        "InResponseTo",
    );

    // A response for tenant A posted to tenant B's ACS (same IdP, same key): refused.
    let b = setup(&server, &api, "other", &idp, json!({})).await;
    let rid_b = b.start_login(&api).await;
    let for_a = a.claims(&idp, "admin", Some(&rid_b));
    refused(
        "tenant A's response at tenant B",
        &post_acs(
            &api,
            "other",
            &idp.response_signed(&for_a, Alg::RsaSha256),
            Some(&rid_b),
            true,
        )
        .await,
        "Destination",
    );
    let mut for_a = a.claims(&idp, "admin", Some(&rid_b));
    for_a.destination = b.acs.clone();
    refused(
        "tenant A's assertion at tenant B",
        &post_acs(
            &api,
            "other",
            &idp.assertion_signed(&for_a, Alg::RsaSha256),
            Some(&rid_b),
            true,
        )
        .await,
        "audience",
    );

    // IdP-initiated (when allowed), JIT provisioning with a role from a group; the replay cache.
    api.put(
        "/api/v1/sso/saml",
        &a.admin,
        json!({"entity_id": idp.entity_id, "sso_url": format!("{}/healthz", api.base),
        "certificates": [idp.cert_pem()], "sp_base_url": api.base, "allow_idp_initiated": true, "jit_role": "receptionist",
        "group_attribute": "groups", "group_roles": {"vestibule-admins": "admin"}}),
    )
    .await
    .expect(200);
    let mut c = a.claims(&idp, "newcomer", None);
    c.attributes = vec![(
        "groups".into(),
        vec!["staff".into(), "vestibule-admins".into()],
    )];
    let unsolicited = idp.assertion_signed(&c, Alg::RsaSha256);
    let t = post_acs(&api, "corp", &unsolicited, None, true)
        .await
        .expect(200)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let me = api
        .get("/api/v1/auth/me", &Auth::bearer(t))
        .await
        .expect(200);
    assert_eq!(
        (me["email"].as_str(), me["role"].as_str()),
        (Some("newcomer@corp.test"), Some("admin"))
    );
    refused(
        "replayed assertion",
        &post_acs(&api, "corp", &unsolicited, None, true).await,
        "replay",
    );

    // Enforced SSO: password login refused with a clear code; a business tenant cannot set SSO.
    let mut body = api.get("/api/v1/sso/saml", &a.admin).await.expect(200);
    body = json!({"entity_id": body["entity_id"], "sso_url": body["sso_url"], "certificates": body["certificates"],
        "sp_base_url": body["sp_base_url"], "enforce": true});
    api.put("/api/v1/sso/saml", &a.admin, body)
        .await
        .expect(200);
    let r = api
        .post(
            "/api/v1/auth/login",
            &Auth::None,
            json!({"tenant": "corp", "email": "admin@corp.test", "password": "correct horse battery staple"}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (403, "sso_required"),
        "{}",
        r.text
    );
    println!(
        "SSO enforced: password login refused, 403 sso_required: {}",
        r.body["error"]["message"]
    );
    // The kiosk override still takes the receptionist's PIN; an SSO session is no override.
    let site = api.create_site(&a.admin, "HQ").await;
    let (_, code) = api.create_kiosk(&a.admin, &site).await;
    let device = api.enroll(&code).await;
    let Auth::Bearer(device_token) = &device else {
        panic!("a device token")
    };
    let sso_as_override = Auth::Override {
        device: device_token.clone(),
        token: token_of(&ok),
    };
    assert_eq!(
        api.get("/api/v1/kiosk/override/visits", &sso_as_override)
            .await
            .status
            .as_u16(),
        401,
        "an SSO session is not an override token"
    );
    let r = api
        .post(
            "/api/v1/kiosk/override",
            &device,
            json!({"email": "mallory@corp.test", "pin": "135791"}),
        )
        .await;
    assert_eq!(
        r.status.as_u16(),
        401,
        "a wrong PIN is refused with SSO enforced: {}",
        r.text
    );
    api.override_login(&device, "mallory@corp.test", "246810")
        .await;
    let biz = api.create_tenant(&server.operator_token, "smallco").await;
    api.create_user(
        &server.operator_token,
        &biz,
        "admin@smallco.test",
        "admin",
        None,
    )
    .await;
    let biz_admin = api.login("smallco", "admin@smallco.test").await;
    let r = api
        .put(
            "/api/v1/sso/saml",
            &biz_admin,
            json!({"entity_id": "x", "sso_url": "https://x.test", "certificates": [idp.cert_pem()], "sp_base_url": api.base}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (403, "forbidden"),
        "{}",
        r.text
    );
    println!("{engine:?}: SSO test took {:?}", started.elapsed());
}

/// A user the identity provider provisions over SCIM with a `userType` the SSO settings list gets
/// a host account that signs in by SSO; another type does not; the identity provider's
/// deactivation disables the account (no sign-in) and its reactivation enables it again.
async fn scim_users_of_a_listed_type_sign_in(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let idp = TestIdp::new("https://idp.scimsso.test/");
    let a = setup(
        &server,
        &api,
        "scimsso",
        &idp,
        json!({"scim_user_types": ["Employee"], "allow_idp_initiated": true}),
    )
    .await;
    let cfg = api.get("/api/v1/sso/saml", &a.admin).await.expect(200);
    assert_eq!(cfg["scim_user_types"], json!(["employee"]));
    api.create_site(&a.admin, "Headquarters").await;
    let (_, key) = api.create_api_key(&a.admin, "idp", &["scim"]).await;
    let provision = |name: &str, kind: &str| {
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": format!("{name}@scimsso.test"), "displayName": name, "userType": kind,
            "emails": [{"value": format!("{name}@scimsso.test"), "primary": true}]})
    };
    let emp = api
        .post("/scim/v2/Users", &key, provision("emma", "EMPLOYEE"))
        .await
        .expect(201);
    assert_eq!(emp["userType"], "EMPLOYEE");
    let emp = emp["id"].as_str().expect("id").to_owned();
    api.post("/scim/v2/Users", &key, provision("carl", "Contractor"))
        .await
        .expect(201);
    let users = api.get("/api/v1/users", &a.admin).await.expect(200);
    let account = |users: &Value, email: &str| {
        users
            .as_array()
            .expect("users")
            .iter()
            .find(|u| u["email"] == email)
            .cloned()
    };
    let emma = account(&users, "emma@scimsso.test").expect("an account for the employee");
    assert_eq!(
        (emma["role"].as_str(), emma["disabled"].as_bool()),
        (Some("host"), Some(false))
    );
    assert!(
        account(&users, "carl@scimsso.test").is_none(),
        "no account for a contractor"
    );

    let sign_in = async || {
        let signed = idp.assertion_signed(&a.claims(&idp, "emma", None), Alg::RsaSha256);
        post_acs(&api, "scimsso", &signed, None, true).await
    };
    let token = sign_in().await.expect(200)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let me = api
        .get("/api/v1/auth/me", &Auth::bearer(token.clone()))
        .await
        .expect(200);
    assert_eq!(me["role"], "host");

    let deactivate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
    api.patch(&format!("/scim/v2/Users/{emp}"), &key, deactivate)
        .await
        .expect(200);
    let users = api.get("/api/v1/users", &a.admin).await.expect(200);
    assert_eq!(
        account(&users, "emma@scimsso.test").expect("kept")["disabled"],
        true
    );
    assert_eq!(
        api.get("/api/v1/auth/me", &Auth::bearer(token))
            .await
            .status,
        401,
        "the account's sessions end with it"
    );
    refused("a deactivated user", &sign_in().await, "no active user");

    let reactivate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": true}}]});
    api.patch(&format!("/scim/v2/Users/{emp}"), &key, reactivate)
        .await
        .expect(200);
    sign_in().await.expect(200);
}

both_engines!(sso_sign_in_and_attacks, scim_users_of_a_listed_type_sign_in);
