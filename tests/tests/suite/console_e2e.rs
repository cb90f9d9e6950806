//! The admin console in real Chromium (headless, Debian's package, driven over WebDriver) against
//! the real server binary over TLS, one browser session per walk. On SQLite the whole walk of a
//! front-desk day: sign in as admin, create a site, hosts by the form and by CSV import (one bad
//! row, reported in the page), a kiosk (its enrollment code read off the page and used), a
//! check-in through the kiosk API appearing live on *Today*, checking the visitor out, the CSV
//! export, the agreement text reaching the kiosk's settings, an agreement and a visitor type made
//! in the browser and a visit of it showing its answer, photo and signed PDF, the audit chain
//! verified, an evacuation roll call started, marked on a phone-sized window and closed, a
//! watchlist entry holding two check-ins whose alert on *Today* admits one and turns one away,
//! a webhook made in the browser (its secret shown once, a test delivery in its log), signing
//! out. Visitor names that are markup show as text; a cross-site form post carries no session;
//! axe-core finds no serious or critical violation on any screen; each screen is photographed
//! into `docs/screenshots/console/`. On PostgreSQL a shorter pass: sign in, a live check-in made
//! on another replica, a roll call whose marks cross the two replicas live, sign out.

use std::time::{Duration, Instant};

use serde_json::json;
use vestibule_tests::{
    Api, Auth, Engine, TestServer,
    api::visitor,
    browser::{Browser, testid},
    idp::TestIdp,
    wait_until,
};

const ADMIN: &str = "ada@console.test";
const PASSWORD: &str = "correct horse battery staple";
const XSS_NAMES: [&str; 2] = [
    "<img src=x onerror=alert(1)>",
    "\"><script>window.pwned=1</script>",
];

/// Signs in through the console's form.
async fn sign_in(b: &Browser, slug: &str) {
    b.open("/").await;
    b.wait(&testid("screen-login")).await;
    b.type_in("#tenant", slug).await;
    b.type_in("#email", ADMIN).await;
    b.type_in("#password", PASSWORD).await;
    b.click(&testid("sign-in")).await;
    b.wait(&testid("screen-today")).await;
}

/// Opens a screen from the navigation and waits for it.
async fn go(b: &Browser, path: &str, screen: &str) {
    b.click(&format!("nav a[href=\"{path}\"]")).await;
    b.wait(&testid(&format!("screen-{screen}"))).await;
}

/// Fetches the link matching `css` in the page (with its session) and checks that it is a PDF.
async fn assert_pdf_link(b: &Browser, css: &str) {
    let href = b
        .wait(css)
        .await
        .attr("href")
        .await
        .expect("href")
        .expect("a PDF link");
    let pdf = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0]).then(r => r.arrayBuffer().then(a =>
               done([r.status, r.headers.get('content-type'), new TextDecoder('latin1').decode(new Uint8Array(a).slice(0, 5))])),
               e => done('failed: ' + e));",
            vec![json!(href)],
        )
        .await
        .expect("download");
    assert_eq!(pdf, json!([200, "application/pdf", "%PDF-"]), "{href}");
}

/// Runs axe on the screen shown and photographs it.
async fn check_screen(b: &Browser, name: &str, violations: &mut Vec<String>) {
    let found = b.axe().await;
    eprintln!("[console] axe on {name}: {} serious/critical", found.len());
    violations.extend(found.into_iter().map(|v| format!("{name}: {v}")));
    b.screenshot(name).await;
}

/// A tenant with its first admin, made by the operator.
async fn tenant(api: &Api, operator: &str, slug: &str) -> String {
    let id = api.create_tenant(operator, slug).await;
    api.create_user(operator, &id, ADMIN, "admin", None).await;
    id
}

/// Checks each of `names` in through the kiosk API and waits until Today shows them; returns the
/// median time from the check-in to its name on screen.
async fn reach_today(
    b: &Browser,
    api: &Api,
    device: &Auth,
    host: &str,
    names: &[String],
    key: &str,
) -> std::time::Duration {
    let mut took = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let sent = Instant::now();
        api.check_in(
            device,
            &format!("{key}-{i}"),
            &visitor(host, name, "vera@example.com"),
        )
        .await
        .expect(201);
        b.wait_text("main", name).await;
        took.push(sent.elapsed());
    }
    took.sort();
    took[took.len() / 2]
}

/// Waits until no alert is open and nothing markup-named became an element.
async fn assert_no_injection(b: &Browser) {
    assert!(b.client.get_alert_text().await.is_err(), "an alert opened");
    let injected = b
        .eval(
            "return document.querySelectorAll('img[src=\"x\"]').length + (window.pwned ? 100 : 0);",
            vec![],
        )
        .await;
    assert_eq!(
        injected,
        json!(0),
        "markup in a visitor's name became part of the page"
    );
}

/// "Sign in with SSO" shows on the sign-in page for a tenant with SAML, and not for one without.
async fn sso_link(b: &Browser, api: &Api, server: &TestServer) {
    let op = Auth::bearer(server.operator_token.clone());
    let body = json!({"slug": "ssoco", "name": "SSO Co", "plan": "enterprise"});
    let id = api
        .post("/api/v1/operator/tenants", &op, body)
        .await
        .expect(201);
    let id = id["id"].as_str().expect("id");
    api.create_user(&server.operator_token, id, ADMIN, "admin", None)
        .await;
    let admin = api.login("ssoco", ADMIN).await;
    let idp = TestIdp::new("https://idp.ssoco.test");
    let saml = json!({"entity_id": idp.entity_id, "sso_url": format!("{}/healthz", api.base),
        "certificates": [idp.cert_pem()], "sp_base_url": api.base});
    api.put("/api/v1/sso/saml", &admin, saml).await.expect(200);

    b.type_in("#tenant", "ssoco").await;
    let link = b.wait(&testid("sign-in-sso")).await;
    let href = link.attr("href").await.expect("href").unwrap_or_default();
    assert!(href.ends_with("/api/v1/saml/ssoco/login?relay=/"), "{href}");
    // Another tenant: once the page has its answer about it, no link.
    b.type_in("#tenant", "console").await;
    b.wait("[data-sso-asked=\"console\"]").await;
    let shown = b
        .eval(
            "return !!document.querySelector('[data-testid=sign-in-sso]');",
            vec![],
        )
        .await;
    assert_eq!(shown, json!(false), "no SSO link for a tenant without SAML");
}

async fn front_desk_walk() {
    let server = TestServer::start(Engine::Sqlite).await;
    let api = server.api();
    let tenant_id = tenant(&api, &server.operator_token, "console").await;
    let admin = api.login("console", ADMIN).await;
    let b = Browser::start(&server).await;
    let mut violations = Vec::new();

    // Sign in; the session is an HttpOnly cookie the page's scripts cannot read.
    b.open("/").await;
    b.wait(&testid("screen-login")).await;
    let cold = b
        .eval(
            "return performance.getEntriesByType('navigation')[0].loadEventEnd;",
            vec![],
        )
        .await;
    eprintln!("[console] first load with an empty cache (sign-in page): {cold} ms");
    check_screen(&b, "01-sign-in", &mut violations).await;
    let started = Instant::now();
    sign_in(&b, "console").await;
    eprintln!("[console] signed in in {:?}", started.elapsed());
    // Loads of the console signed in (its hashed files in the HTTP cache, index.html never): the
    // browser's own timing of the page and its scripts, and until Today shows with its data
    // (read after WebDriver saw it, so up to one 50 ms poll late); median of 10.
    let (mut loaded, mut ready) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        b.open("/").await;
        b.wait(&testid("count-on-site")).await;
        let t = b
            .eval(
                "const n = performance.getEntriesByType('navigation')[0];
                 return [n.loadEventEnd, performance.now()];",
                vec![],
            )
            .await;
        loaded.push(t[0].as_f64().unwrap_or(f64::NAN));
        ready.push(t[1].as_f64().unwrap_or(f64::NAN));
    }
    loaded.sort_by(f64::total_cmp);
    ready.sort_by(f64::total_cmp);
    eprintln!(
        "[console] load in Chromium, median of 10: page loaded {:.0} ms, Today shown with its data {:.0} ms",
        loaded[5], ready[5]
    );
    let cookie = b
        .client
        .get_named_cookie("__Host-vestibule_session")
        .await
        .expect("the session cookie");
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(cookie.secure(), Some(true));
    assert_eq!(format!("{:?}", cookie.same_site()), "Some(Strict)");
    let scripts_see = b.eval("return document.cookie;", vec![]).await;
    assert_eq!(
        scripts_see,
        json!(""),
        "the session is invisible to scripts"
    );

    // A site, by the form.
    go(&b, "/sites", "sites").await;
    b.type_in("#site-name", "Paris HQ").await;
    b.click(&testid("site-create")).await;
    b.wait_text(&testid("site-row"), "Paris HQ").await;
    // Everyone still on site is signed out at 19:30 (set as a browser's time field would).
    b.click(&format!("{} button.secondary", testid("site-row")))
        .await;
    b.eval(
        "const i = document.querySelector('[data-testid=site-auto-edit]');
         i.value = '19:30'; i.dispatchEvent(new Event('input', { bubbles: true })); return true;",
        vec![],
    )
    .await;
    b.click(&format!(
        "{} button.small:not(.secondary)",
        testid("site-row")
    ))
    .await;
    b.wait_text(&testid("site-auto"), "19:30").await;
    check_screen(&b, "04-sites", &mut violations).await;
    let sites = api.get("/api/v1/sites", &admin).await.expect(200);
    let site = sites[0]["id"].as_str().expect("site id").to_owned();

    // Hosts: one by the form; a CSV with a bad row imports nothing and its report shows in the
    // page; the corrected file imports.
    go(&b, "/hosts", "hosts").await;
    b.type_in("#host-name", "Harriet Host").await;
    b.type_in("#host-email", "harriet@console.test").await;
    b.select("#host-site", &site).await;
    b.click(&testid("host-create")).await;
    b.wait_text(&testid("host-row"), "Harriet Host").await;
    let good = format!("Boris Board,boris@console.test,{site}\n");
    for (rows, status) in [
        (
            format!("name,email,site_id\n{good}No Email,not-an-email,{site}\n"),
            "error",
        ),
        (format!("name,email,site_id\n{good}"), "ok"),
    ] {
        let csv = tempfile::NamedTempFile::with_suffix(".csv").expect("csv file");
        std::fs::write(csv.path(), rows).expect("write csv");
        let input = b.wait("#hosts-csv").await;
        input.clear().await.expect("clear the file input");
        input
            .send_keys(&csv.path().to_string_lossy())
            .await
            .expect("choose the file");
        b.click(&testid("hosts-import")).await;
        let row = b
            .wait(&format!(
                "{}[data-status=\"{status}\"]",
                testid("import-row")
            ))
            .await;
        if status == "error" {
            let text = row.text().await.expect("text");
            assert!(
                text.contains('3') && text.contains("email"),
                "the bad line is named: {text}"
            );
            assert_eq!(
                b.wait_count(&testid("host-row"), 1).await.len(),
                1,
                "nothing imported"
            );
        }
    }
    b.wait_count(&testid("host-row"), 2).await;
    check_screen(&b, "03-hosts", &mut violations).await;
    let hosts = api.get("/api/v1/hosts", &admin).await.expect(200);
    let harriet = hosts
        .as_array()
        .and_then(|h| h.iter().find(|h| h["name"] == "Harriet Host"))
        .and_then(|h| h["id"].as_str())
        .expect("Harriet")
        .to_owned();

    // A kiosk: its code read off the page enrolls a device.
    go(&b, "/kiosks", "kiosks").await;
    b.select("#kiosk-site", &site).await;
    b.type_in("#kiosk-name", "Lobby tablet").await;
    b.click(&testid("kiosk-create")).await;
    let code = b.text(&testid("enrollment-code")).await;
    b.wait(&testid("enrollment-qr")).await;
    check_screen(&b, "05-kiosks", &mut violations).await;
    let device = api.enroll(code.trim()).await;

    // A check-in at the kiosk appears on Today without a reload; so do names that are markup.
    go(&b, "/", "today").await;
    b.wait(&format!("{}[data-state=\"live\"]", testid("live")))
        .await;
    let names: Vec<String> = (0..5)
        .map(|i| match i {
            0 => "Vera Visitor".to_owned(),
            _ => format!("Walter Walk-in {i}"),
        })
        .collect();
    let took = reach_today(&b, &api, &device, &harriet, &names, "walk").await;
    eprintln!("[console] check-in → visible on Today (SQLite): median {took:?} of 5");
    for (i, name) in XSS_NAMES.iter().enumerate() {
        api.check_in(
            &device,
            &format!("xss-{i}"),
            &visitor(&harriet, name, "x@example.com"),
        )
        .await
        .expect(201);
    }
    b.wait_count(&testid("onsite-row"), 7).await;
    let shown = b.text("main").await;
    for name in XSS_NAMES {
        assert!(shown.contains(name), "{name} shows as text: {shown}");
    }
    assert_no_injection(&b).await;
    b.wait_text(&testid("count-on-site"), "7").await;
    check_screen(&b, "02-today", &mut violations).await;

    // Check Vera out from Today, confirming.
    let rows = b.wait_count(&testid("onsite-row"), 7).await;
    let mut vera = None;
    for row in rows {
        if row
            .text()
            .await
            .unwrap_or_default()
            .contains("Vera Visitor")
        {
            vera = Some(row);
        }
    }
    let vera = vera.expect("Vera's row");
    let button = vera
        .find(fantoccini::Locator::Css(&testid("check-out")))
        .await
        .expect("a check-out button");
    // By keyboard: Enter opens the dialog, whose focus stays inside it; Escape closes it without
    // acting and gives focus back to the button.
    button.send_keys("\u{e007}").await.expect("Enter");
    b.wait("dialog[open]").await;
    let inside = b
        .eval(
            "return document.activeElement.closest('dialog[open]') !== null;",
            vec![],
        )
        .await;
    assert_eq!(inside, json!(true), "focus moves into the dialog");
    let escape = String::from(char::from(fantoccini::key::Key::Escape));
    b.client
        .active_element()
        .await
        .expect("focused element")
        .send_keys(&escape)
        .await
        .expect("Escape");
    let back = b
        .eval(
            "return [document.querySelector('dialog').open, document.activeElement.dataset.testid];",
            vec![],
        )
        .await;
    assert_eq!(
        back,
        json!([false, "check-out"]),
        "Escape closes and focus returns"
    );
    b.wait_text(&testid("count-on-site"), "7").await;
    button.click().await.expect("click check out");
    b.click(&testid("confirm-yes")).await;
    b.wait_text(&testid("count-on-site"), "6").await;

    // The visit log, its markup-named rows as text, and the CSV export.
    go(&b, "/visits", "visits").await;
    b.wait_count(&testid("visit-row"), 7).await;
    assert_no_injection(&b).await;
    check_screen(&b, "06-visit-log", &mut violations).await;
    let href = b
        .wait(&testid("export-csv"))
        .await
        .attr("href")
        .await
        .expect("href")
        .expect("an export link");
    let csv = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0]).then(r => r.text()).then(done, e => done('failed: ' + e));",
            vec![json!(href)],
        )
        .await
        .expect("download");
    let csv = csv.as_str().unwrap_or_default();
    assert!(csv.contains("Vera Visitor"), "{csv}");
    assert!(
        csv.contains(",'+33 1"),
        "the phone's formula sign is defused: {csv}"
    );

    // An invitation made in the browser: its code shows once; the visitor is expected on Today
    // and becomes a visit there, live, when the kiosk takes the code.
    go(&b, "/invites", "invites").await;
    b.type_in("#inv-name", "Ivy Invited").await;
    b.type_in("#inv-email", "ivy@example.com").await;
    b.select("#inv-host", &harriet).await;
    b.click(&testid("invite-create")).await;
    let first_code = b.text(&testid("invite-code")).await;
    b.wait_text(&testid("invite-row"), "Ivy Invited").await;
    // Sent again: a new code shows (the first one stops working).
    b.click(&testid("invite-resend")).await;
    let invite_code = vestibule_tests::wait_until(
        "the code sent again shows",
        std::time::Duration::from_secs(10),
        async || {
            let code = b.text(&testid("invite-code")).await;
            (code != first_code).then_some(code)
        },
    )
    .await;
    // Tomorrow's visitors from a CSV file: their codes show in a table.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).date_naive();
    let csv = tempfile::NamedTempFile::with_suffix(".csv").expect("csv file");
    std::fs::write(
        csv.path(),
        format!(
            "name,email,host_email,expected_at\nIan Imported,ian@example.com,harriet@console.test,{tomorrow} 09:00\n"
        ),
    )
    .expect("write csv");
    b.wait("#invites-csv")
        .await
        .send_keys(&csv.path().to_string_lossy())
        .await
        .expect("choose the file");
    b.click(&testid("invites-import")).await;
    b.wait(&format!("{}[data-status=\"ok\"]", testid("import-row")))
        .await;
    b.wait_text(&testid("imported-codes"), "Ian Imported").await;
    check_screen(&b, "12-invites", &mut violations).await;
    go(&b, "/", "today").await;
    b.wait_text(&testid("expected-row"), "Ivy Invited").await;
    api.check_in(&device, "ivy", &json!({"invite_code": invite_code.trim()}))
        .await
        .expect(201);
    vestibule_tests::wait_until(
        "Ivy moves from expected to on site",
        std::time::Duration::from_secs(20),
        async || {
            let moved = b
                .eval(
                    "return !document.querySelector('[data-testid=expected-row]') &&
                       [...document.querySelectorAll('[data-testid=onsite-row]')]
                         .some(r => r.textContent.includes('Ivy Invited'));",
                    vec![],
                )
                .await;
            (moved == json!(true)).then_some(())
        },
    )
    .await;

    // The agreement text, changed in Settings, is what the kiosk gets.
    go(&b, "/settings", "settings").await;
    b.type_in("#consent-en", "Wear your badge where we can see it.")
        .await;
    b.type_in("#pass-days", "30").await;
    b.type_in("#retention-days", "90").await;
    b.click(&testid("settings-save")).await;
    b.wait(&testid("saved")).await;
    check_screen(&b, "07-settings", &mut violations).await;
    let settings = api.get("/api/v1/settings", &admin).await.expect(200);
    assert_eq!(settings["retention_days"], 90);
    let kiosk = api.get("/api/v1/kiosk/settings", &device).await.expect(200);
    assert_eq!(
        kiosk["consent_text"]["en"],
        "Wear your badge where we can see it."
    );

    assert_eq!(kiosk["passes"], true, "visitors are offered a pass");

    // A visitor who asked for a pass has it on their record, where the desk revokes it.
    let body = json!({"visitor": {"name": "Pia Pass", "email": "pia@example.com"},
        "host_id": harriet, "want_pass": true});
    api.check_in(&device, "pia", &body).await.expect(201);
    go(&b, "/visits", "visits").await;
    b.wait_text(&testid("visit-row"), "Pia Pass").await;
    b.click(&format!("{} button", testid("visit-row"))).await;
    let pass = |state: &str| format!("{}[data-state=\"{state}\"]", testid("visit-pass"));
    b.wait(&pass("requested")).await;
    check_screen(&b, "13-visit-pass", &mut violations).await;
    b.click(&testid("revoke-pass")).await;
    b.click(&testid("confirm-yes")).await;
    b.wait(&pass("revoked")).await;

    // The visitor's own page, from their email's link: the token leaves the address bar at once,
    // and one that revokes nothing says so.
    let token = format!("{tenant_id}.{}.{}", uuid::Uuid::now_v7(), "A".repeat(43));
    b.open(&format!("/pass#{token}")).await;
    b.wait(&testid("own-pass-revoke")).await;
    assert_eq!(b.eval("return location.hash;", vec![]).await, json!(""));
    check_screen(&b, "14-own-pass", &mut violations).await;
    b.click(&testid("own-pass-revoke")).await;
    b.wait(&testid("own-pass-unknown")).await;
    b.open("/").await;
    b.wait(&testid("screen-today")).await;
    watchlist(&b, &api, &admin, &device, &harriet, &mut violations).await;
    evacuation(&b, &api, &admin, &device, &harriet, &mut violations).await;
    visitor_types(&b, &api, &admin, &device, &harriet, &mut violations).await;
    printers(&b, &api, &admin, &mut violations).await;
    api_keys(&b, &api, &mut violations).await;
    webhooks(&b, &api, &admin, &mut violations).await;

    // The other admin screens render and pass axe.
    for (path, screen, shot) in [
        ("/users", "users", "08-users"),
        ("/email", "email", "09-email"),
        ("/sso", "sso", "10-sso"),
    ] {
        go(&b, path, screen).await;
        check_screen(&b, shot, &mut violations).await;
    }

    // A person's data: the two visits of olu@example.com (both on the roll call) exported and
    // offered as a file, then erased; the visit log finds them no more.
    go(&b, "/privacy", "privacy").await;
    b.type_in("#privacy-email", "Olu@Example.com").await;
    b.click(&testid("privacy-export")).await;
    b.wait(&format!("{}[data-visits=\"2\"]", testid("privacy-result")))
        .await;
    b.wait_text("main", "Olu Okafor").await;
    let href = b
        .wait(&testid("privacy-download"))
        .await
        .attr("href")
        .await
        .expect("href")
        .unwrap_or_default();
    assert!(href.starts_with("blob:"), "{href}");
    check_screen(&b, "22-privacy", &mut violations).await;
    b.click(&testid("privacy-erase")).await;
    b.click(&testid("confirm-yes")).await;
    b.wait(&format!("{}[data-visits=\"2\"]", testid("privacy-erased")))
        .await;
    let left = api
        .get("/api/v1/visits?email=olu@example.com", &admin)
        .await
        .expect(200);
    assert_eq!(left["items"], json!([]), "erased");

    // The audit chain verifies.
    go(&b, "/audit", "audit").await;
    b.wait(&testid("audit-row")).await;
    b.click(&testid("verify-chain")).await;
    let result = b
        .wait(&format!("{}[data-ok]", testid("chain-result")))
        .await;
    assert_eq!(
        result.attr("data-ok").await.expect("attr").as_deref(),
        Some("true")
    );
    check_screen(&b, "11-audit", &mut violations).await;

    // A page of another site posting a form to the API carries no session (SameSite=Strict),
    // and a same-origin write without the CSRF header is refused.
    let refused = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch('/api/v1/sites', {method: 'POST', headers: {'content-type': 'application/json'},
               body: JSON.stringify({name: 'Forged', timezone: 'UTC'})}).then(r => done(r.status));",
            vec![],
        )
        .await
        .expect("fetch");
    assert_eq!(refused, json!(403));
    cross_site_post(&b).await;
    let sites = api.get("/api/v1/sites", &admin).await.expect(200);
    assert_eq!(
        sites.as_array().map(Vec::len),
        Some(1),
        "nothing forged: {sites}"
    );

    // Signing out ends the session.
    b.open("/").await;
    b.click(&testid("sign-out")).await;
    b.wait(&testid("screen-login")).await;
    let r = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch('/api/v1/auth/me').then(r => done(r.status));",
            vec![],
        )
        .await
        .expect("fetch");
    assert_eq!(r, json!(401));
    sso_link(&b, &api, &server).await;
    b.close().await;
    assert!(violations.is_empty(), "axe: {violations:#?}");
}

/// API keys in the browser: a key made with one scope shows its secret once; another system
/// uses it (a host made through the API), the list then shows its last use; revoked, it stops
/// working.
async fn api_keys(b: &Browser, api: &Api, violations: &mut Vec<String>) {
    go(b, "/api-keys", "api-keys").await;
    b.wait(&testid("keys-empty")).await;
    b.type_in(&testid("key-name"), "HR directory").await;
    // No scope chosen: the form says so and makes nothing.
    b.click(&testid("key-create")).await;
    b.wait("#key-problem").await;
    b.click(&testid("key-scope-hosts:write")).await;
    b.click(&testid("key-scope-scim")).await;
    b.click(&testid("key-create")).await;
    let secret = b.wait_text(&testid("key-secret"), "vsk_").await;
    check_screen(b, "25-api-keys", violations).await;
    let key = Auth::bearer(secret.trim());
    let sites = api.get("/api/v1/sites", &key).await.expect(200);
    let site = sites[0]["id"].as_str().expect("site").to_owned();
    api.post(
        "/api/v1/hosts",
        &key,
        json!({"name": "Kim Keyed", "email": "kim@console.test", "site_id": site}),
    )
    .await
    .expect(201);
    // An identity provider provisions a host over SCIM, then deactivates them.
    let sam = api
        .post(
            "/scim/v2/Users",
            &key,
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "sam@console.test", "displayName": "Sam Synced"}),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .expect("id")
        .to_owned();
    api.patch(
        &format!("/scim/v2/Users/{sam}"),
        &key,
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": false}]}),
    )
    .await
    .expect(200);
    b.click(&testid("key-done")).await;
    go(b, "/hosts", "hosts").await;
    b.wait_text("main", "Kim Keyed").await;
    let synced = format!("{}[data-active=\"false\"]", testid("host-row"));
    b.wait_text(&synced, "Sam Synced").await;
    b.wait(&format!("{synced} {}", testid("host-provisioned")))
        .await;
    go(b, "/api-keys", "api-keys").await;
    b.wait(&format!("{}[data-revoked=\"false\"]", testid("key-row")))
        .await;
    let used = b.text(&testid("key-last-used")).await;
    assert!(
        used.chars().any(|c| c.is_ascii_digit()),
        "last used: {used}"
    );
    b.click(&testid("key-revoke")).await;
    b.click(&testid("confirm-yes")).await;
    b.wait(&format!("{}[data-revoked=\"true\"]", testid("key-row")))
        .await;
    assert_eq!(api.get("/api/v1/sites", &key).await.status, 401);
}

/// Webhooks in the browser: a standard webhook to a receiver that never resolves shows its
/// signing secret once (never again, not in the list); a test event sent from its row shows in
/// its delivery log (failing or waiting to be tried again, never delivered); deleted, it is gone.
async fn webhooks(b: &Browser, api: &Api, admin: &Auth, violations: &mut Vec<String>) {
    go(b, "/webhooks", "webhooks").await;
    b.wait(&testid("webhooks-empty")).await;
    b.type_in(&testid("webhook-url"), "https://receiver.invalid/hook")
        .await;
    b.select(&testid("webhook-kind"), "standard").await;
    // No event chosen: the form says so and makes nothing.
    b.click(&testid("webhook-create")).await;
    b.wait("#webhook-problem").await;
    b.click(&testid("webhook-event-visit.checked_in")).await;
    b.click(&testid("webhook-create")).await;
    let secret = b.wait_text(&testid("webhook-secret"), "whsec_").await;
    let secret = secret.trim().to_owned();
    assert!(secret.starts_with("whsec_"), "secret: {secret}");
    let row = format!("{}[data-kind=\"standard\"]", testid("webhook-row"));
    b.wait_text(&row, "https://receiver.invalid/hook").await;
    let listed = api.get("/api/v1/webhooks", admin).await.expect(200);
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["events"], json!(["visit.checked_in"]));
    assert!(
        !listed.to_string().contains(&secret),
        "the list shows no secret"
    );
    // Shown once: hidden, and not there again when the screen is opened anew.
    b.click(&testid("webhook-done")).await;
    b.open("/webhooks").await;
    b.wait(&testid("screen-webhooks")).await;
    b.wait(&row).await;
    let again = b
        .eval(
            "return !!document.querySelector('[data-testid=webhook-secret]') \
               || document.querySelector('main').innerText.includes(arguments[0]);",
            vec![json!(secret)],
        )
        .await;
    assert_eq!(again, json!(false), "the secret shows only once");

    // A test event: its delivery shows in the log (receiver.invalid never resolves).
    b.click(&format!("{row} {}", testid("webhook-test"))).await;
    b.wait(&testid("webhook-test-sent")).await;
    b.click(&format!("{row} {}", testid("webhook-deliveries")))
        .await;
    let delivery = format!("{} {}", testid("delivery-log"), testid("delivery-row"));
    b.wait_text(&delivery, "webhook.test").await;
    b.wait(&format!("{delivery} {}", testid("delivery-status")))
        .await;
    let status = b
        .wait(&delivery)
        .await
        .attr("data-status")
        .await
        .expect("attr")
        .unwrap_or_default();
    assert!(
        status == "pending" || status == "failed",
        "a delivery to receiver.invalid: {status}"
    );
    check_screen(b, "26-webhooks", violations).await;

    // Deleted once confirmed: gone from the screen and the API.
    b.click(&format!("{row} {}", testid("webhook-delete")))
        .await;
    b.click(&testid("confirm-yes")).await;
    b.wait(&testid("webhooks-empty")).await;
    let left = api.get("/api/v1/webhooks", admin).await.expect(200);
    assert_eq!(left, json!([]), "deleted");
}

/// The watchlist in the browser: an entry added by the form; a visitor who matches it is held,
/// and Today shows the alert live, with the reason; one is admitted there (on site), another
/// turned away (denied); the entry is edited, then removed.
async fn watchlist(
    b: &Browser,
    api: &Api,
    admin: &Auth,
    device: &Auth,
    host: &str,
    violations: &mut Vec<String>,
) {
    go(b, "/watchlist", "watchlist").await;
    b.wait(&testid("watch-empty")).await;
    b.type_in(&testid("watch-name"), "Vera Vetted").await;
    b.type_in(&testid("watch-reason"), "Escort at all times")
        .await;
    b.click(&testid("watch-add")).await;
    b.wait_text(
        &format!("{}[data-active=\"true\"]", testid("watch-row")),
        "Vera Vetted",
    )
    .await;
    check_screen(b, "23-watchlist", violations).await;

    b.open("/").await;
    b.wait(&testid("screen-today")).await;
    let mut held = Vec::new();
    for (key, name) in [("vera-1", "Vera Vetted"), ("vera-2", "VETTED, Véra")] {
        let a = api
            .check_in(device, key, &visitor(host, name, "vera@example.com"))
            .await
            .expect(201);
        assert_eq!(a["status"], "held", "{a}");
        held.push(a["visit_id"].as_str().expect("visit").to_owned());
    }
    b.wait_count(&testid("held-row"), 2).await;
    b.wait_text(&testid("held-reason"), "Escort at all times")
        .await;
    check_screen(b, "24-held-alert", violations).await;
    b.click(&format!("{} {}", testid("held-row"), testid("held-admit")))
        .await;
    b.wait_count(&testid("held-row"), 1).await;
    wait_until("one admitted", Duration::from_secs(20), async || {
        let v = api
            .get("/api/v1/visits?status=held", admin)
            .await
            .expect(200);
        (v["items"].as_array().map(Vec::len) == Some(1)).then_some(())
    })
    .await;
    b.click(&testid("held-deny")).await;
    b.click(&testid("confirm-yes")).await;
    wait_until("none held", Duration::from_secs(20), async || {
        let v = api
            .get("/api/v1/visits?status=held", admin)
            .await
            .expect(200);
        (v["items"] == json!([])).then_some(())
    })
    .await;
    let mut states: Vec<String> = Vec::new();
    for id in &held {
        let v = api
            .get(&format!("/api/v1/visits/{id}"), admin)
            .await
            .expect(200);
        states.push(v["status"].as_str().expect("status").to_owned());
    }
    states.sort();
    assert_eq!(states, ["denied", "on_site"]);

    go(b, "/watchlist", "watchlist").await;
    b.click(&testid("watch-edit")).await;
    b.type_in(
        &testid("watch-reason"),
        "Escort at all times, badge at the desk",
    )
    .await;
    b.click(&testid("watch-save")).await;
    b.wait_text(&testid("watch-row"), "badge at the desk").await;
    b.click(&testid("watch-delete")).await;
    b.click(&testid("confirm-yes")).await;
    b.wait(&testid("watch-empty")).await;
    assert_eq!(
        api.get("/api/v1/watchlist", admin).await.expect(200),
        json!([])
    );
}

/// Visitor types in the browser: an agreement and a type with a question, the agreement and a
/// photo; a visit of it shows its answer, its photo and its signed agreement as a PDF.
async fn visitor_types(
    b: &Browser,
    api: &Api,
    admin: &Auth,
    device: &Auth,
    host: &str,
    violations: &mut Vec<String>,
) {
    go(b, "/agreements", "agreements").await;
    b.type_in("#agreement-name", "NDA").await;
    b.type_in("#agreement-title-en", "Non-disclosure").await;
    b.type_in("#agreement-body-en", "What you see here stays here.")
        .await;
    b.click(&testid("agreement-save")).await;
    b.wait_text(&testid("agreement-row"), "NDA").await;
    check_screen(b, "15-agreements", violations).await;
    let agreements = api.get("/api/v1/agreements", admin).await.expect(200);
    let agreement = agreements[0]["id"].as_str().expect("agreement").to_owned();

    go(b, "/visitor-types", "visitor-types").await;
    b.type_in("#type-name-en", "Contractor").await;
    b.click(&testid("add-question")).await;
    b.type_in("#q-0-label-en", "Which equipment?").await;
    b.click(&format!("#type-agreement-{agreement}")).await;
    b.click("#type-photo").await;
    b.click(&testid("type-save")).await;
    b.wait_text(&testid("type-row"), "Contractor").await;
    check_screen(b, "16-visitor-types", violations).await;

    let offered = api
        .get("/api/v1/kiosk/visitor-types", device)
        .await
        .expect(200);
    let ty = &offered[0];
    let body = json!({
        "visitor": {"name": "Carl Contractor", "email": "carl@example.com"}, "host_id": host,
        "visitor_type_id": ty["id"],
        "answers": [{"question_id": ty["questions"][0]["id"], "value": "A hammer drill"}],
        "agreements": [{"document_id": agreement, "version": 1, "language": "en"}],
        "signature": super::visitor_types::signature_b64(),
        "photo": super::visitor_types::photo_b64(),
    });
    api.check_in(device, "carl", &body).await.expect(201);
    go(b, "/visits", "visits").await;
    b.wait_text(&testid("visit-row"), "Carl Contractor").await;
    b.click(&format!("{} button", testid("visit-row"))).await;
    b.wait_text("#visit-record .record-answer", "A hammer drill")
        .await;
    let shown = vestibule_tests::wait_until(
        "the photo shows",
        std::time::Duration::from_secs(10),
        async || {
            let w = b
                .eval(
                    "const i = document.querySelector('#visit-photo');
                     return i && i.complete ? i.naturalWidth : 0;",
                    vec![],
                )
                .await;
            (w.as_u64().unwrap_or(0) > 0).then_some(w)
        },
    )
    .await;
    assert_eq!(shown, json!(640), "the photo as stored");
    assert_pdf_link(b, ".agreement-pdf").await;
    check_screen(b, "17-visit-record", violations).await;
}

/// Printers in the browser: one added (CUPS' IPP printer), a test print that CUPS receives, and
/// the badge previews of every template in *Settings*.
async fn printers(b: &Browser, api: &Api, admin: &Auth, violations: &mut Vec<String>) {
    let cups = vestibule_tests::printer::IppPrinter::start().await;
    go(b, "/printers", "printers").await;
    b.type_in("#printer-name", "Front desk").await;
    b.type_in("#printer-url", &cups.url).await;
    b.click(&testid("printer-add")).await;
    let sites = api.get("/api/v1/sites", admin).await.expect(200);
    let site = sites[0]["id"].as_str().expect("site").to_owned();
    let id = vestibule_tests::wait_until(
        "the printer is added",
        std::time::Duration::from_secs(10),
        async || {
            let list = api
                .get(&format!("/api/v1/sites/{site}/printers"), admin)
                .await
                .expect(200);
            list[0]["id"].as_str().map(str::to_owned)
        },
    )
    .await;
    b.click(&testid(&format!("printer-test-{id}"))).await;
    b.wait(&format!(
        "{}[data-sent=\"true\"]",
        testid("printer-test-result")
    ))
    .await;
    let job = cups.wait_for_jobs(1).await.remove(0);
    let pdf = std::fs::read(job).expect("the test print");
    super::badges::check_pdf(&pdf, "Alex Example", "TEST2345", true, "the test print");
    check_screen(b, "18-printers", violations).await;

    go(b, "/settings", "settings").await;
    for template in ["brother-62x100", "dymo-30256", "a6"] {
        let script = format!(
            "const i = document.querySelector('[data-testid=\"badge-preview-{template}\"]');
             return i && i.complete ? i.naturalWidth : 0;"
        );
        vestibule_tests::wait_until(
            "the badge preview shows",
            std::time::Duration::from_secs(10),
            async || (b.eval(&script, vec![]).await.as_u64().unwrap_or(0) > 0).then_some(()),
        )
        .await;
    }
    b.eval(
        "document.querySelector('[data-testid=badge-settings]').scrollIntoView(); return 0;",
        vec![],
    )
    .await;
    check_screen(b, "19-badge-preview", violations).await;
}

/// Waits until the element with test id `id` shows exactly `n`.
async fn wait_number(b: &Browser, id: &str, n: usize) {
    let css = testid(id);
    vestibule_tests::wait_until(
        &format!("{id} shows {n}"),
        std::time::Duration::from_secs(20),
        async || (b.text(&css).await.trim() == n.to_string()).then_some(()),
    )
    .await;
}

/// The roll call's person `visit` once it has `status`.
fn person(visit: &str, status: &str) -> String {
    format!(
        "{}[data-status=\"{status}\"]",
        testid(&format!("roll-person-{visit}"))
    )
}

/// Evacuation in the browser: the site's emergency contacts set in *Sites*; a roll call started
/// from *Evacuation* lists exactly who is on site; marks by click on a phone-sized window move
/// the counts; a visitor checked out meanwhile stays, shown as checked out (live); the PDF
/// downloads; closed, it stays readable among the past roll calls.
async fn evacuation(
    b: &Browser,
    api: &Api,
    admin: &Auth,
    device: &Auth,
    host: &str,
    violations: &mut Vec<String>,
) {
    go(b, "/sites", "sites").await;
    b.click(&format!("{} button.secondary", testid("site-row")))
        .await;
    b.type_in(
        &testid("site-emergency-edit"),
        "warden@console.test, deputy@console.test",
    )
    .await;
    b.click(&format!(
        "{} button.small:not(.secondary)",
        testid("site-row")
    ))
    .await;
    b.wait_text(&testid("site-emergency"), "deputy@console.test")
        .await;
    for (i, name) in ["Olu Okafor", "林美 Mei Lin"].iter().enumerate() {
        api.check_in(
            device,
            &format!("evacuation-{i}"),
            &visitor(host, name, "olu@example.com"),
        )
        .await
        .expect(201);
    }
    let on_site = api
        .get("/api/v1/visits?status=on_site&limit=200", admin)
        .await
        .expect(200);
    let mut ids: Vec<String> = on_site["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|v| v["id"].as_str().map(str::to_owned))
        .collect();
    ids.sort();

    go(b, "/evacuation", "evacuation").await;
    b.click(&testid("evacuation-start")).await;
    b.click(&testid("confirm-yes")).await;
    b.wait(&testid("screen-roll-call")).await;
    wait_number(b, "roll-count-total", ids.len()).await;
    let mut listed: Vec<String> = Vec::new();
    for el in b
        .wait_count("[data-testid^=\"roll-person-\"]", ids.len())
        .await
    {
        let id = el
            .attr("data-testid")
            .await
            .expect("attr")
            .unwrap_or_default();
        listed.push(id.trim_start_matches("roll-person-").to_owned());
    }
    listed.sort();
    assert_eq!(listed, ids, "the roll call lists exactly who was on site");
    let roll = b.eval("return location.pathname;", vec![]).await;
    let roll = roll
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("/evacuation/")
        .to_owned();

    // On a phone: large buttons, marks by tap; a checkout elsewhere shows live.
    b.client
        .set_window_size(412, 915)
        .await
        .expect("phone size");
    b.click(&testid(&format!("roll-safe-{}", ids[0]))).await;
    b.wait(&person(&ids[0], "safe")).await;
    b.click(&testid(&format!("roll-missing-{}", ids[1]))).await;
    b.wait(&person(&ids[1], "missing")).await;
    wait_number(b, "roll-count-safe", 1).await;
    wait_number(b, "roll-count-missing", 1).await;
    wait_number(b, "roll-count-unaccounted", ids.len() - 2).await;
    api.post(
        &format!("/api/v1/visits/{}/checkout", ids[0]),
        admin,
        json!({}),
    )
    .await
    .expect(204);
    b.wait(&format!(
        "{}[data-checked-out=\"true\"]",
        testid(&format!("roll-person-{}", ids[0]))
    ))
    .await;
    let overflow = b
        .eval(
            "window.scrollTo(0, 0);
             return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await;
    assert_eq!(overflow, json!(0), "the roll call fits a phone's width");
    check_screen(b, "21-roll-call", violations).await;
    b.client
        .set_window_size(1366, 900)
        .await
        .expect("desktop size");

    assert_pdf_link(b, &testid("roll-pdf")).await;

    b.click(&testid("roll-close")).await;
    b.click(&testid("confirm-yes")).await;
    b.wait(&testid("roll-closed")).await;
    let shown = b
        .eval(
            "return !!document.querySelector('[data-testid^=roll-safe-]');",
            vec![],
        )
        .await;
    assert_eq!(shown, json!(false), "a closed roll call takes no marks");
    go(b, "/evacuation", "evacuation").await;
    b.wait_text(&testid(&format!("evacuation-row-{roll}")), "1")
        .await;
    check_screen(b, "20-evacuation", violations).await;
}

/// A page served from another origin (plain HTTP on 127.0.0.1) that posts a form to the API:
/// the browser sends no session with it, so the server answers 401 and nothing changes.
async fn cross_site_post(b: &Browser) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let page = format!(
        "<!doctype html><html lang=en><title>elsewhere</title><form id=f method=post \
         enctype=text/plain action=\"{}/api/v1/sites\"><input name='{{\"name\":\"Forged\",\"timezone\":\"UTC\",\"x\":\"' value='\"}}'></form>\
         <script>document.getElementById('f').submit()</script></html>",
        b.base
    );
    let serve = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        if let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = s.write_all(answer.as_bytes()).await;
        }
    });
    b.client
        .goto(&format!("http://127.0.0.1:{port}/"))
        .await
        .expect("open the other site");
    // The form posts at once; the answer is the API's refusal.
    let body = b.wait_text("body", "error").await;
    assert!(
        body.contains("unauthorized") || body.contains("unsupported"),
        "{body}"
    );
    let _ = serve.await;
}

async fn live_across_replicas() {
    let server = TestServer::start(Engine::Postgres).await;
    let api = server.api();
    tenant(&api, &server.operator_token, "replicas").await;
    let admin = api.login("replicas", ADMIN).await;
    let site = api.create_site(&admin, "Lyon").await;
    let host = api
        .create_host(&admin, &site, "Harriet Host", "harriet@replicas.test")
        .await;
    let (_, code) = api.create_kiosk(&admin, &site).await;
    // The kiosk talks to a second replica; the console to the first.
    let replica = server.replica().await;
    let kiosk_api = server.api_at(replica.port);
    let device = kiosk_api.enroll(&code).await;
    let b = Browser::start(&server).await;
    sign_in(&b, "replicas").await;
    b.wait(&format!("{}[data-state=\"live\"]", testid("live")))
        .await;
    let names: Vec<String> = (0..5).map(|i| format!("Vera Replica {i}")).collect();
    let took = reach_today(&b, &kiosk_api, &device, &host, &names, "pg").await;
    eprintln!(
        "[console] check-in → visible on Today (PostgreSQL, two replicas): median {took:?} of 5"
    );

    // The roll call, live across replicas: started in the browser (served by the first), marked
    // through the API of the second; the page follows each mark, and the second reads the
    // page's mark.
    let other = kiosk_api.login("replicas", ADMIN).await;
    go(&b, "/evacuation", "evacuation").await;
    b.click(&testid("evacuation-start")).await;
    b.click(&testid("confirm-yes")).await;
    b.wait(&testid("screen-roll-call")).await;
    wait_number(&b, "roll-count-total", names.len()).await;
    let list = kiosk_api
        .get("/api/v1/evacuations", &other)
        .await
        .expect(200);
    let id = list[0]["id"].as_str().expect("roll call").to_owned();
    let roll = kiosk_api
        .get(&format!("/api/v1/evacuations/{id}"), &other)
        .await
        .expect(200);
    let people: Vec<String> = roll["people"]
        .as_array()
        .expect("people")
        .iter()
        .filter_map(|p| p["visit_id"].as_str().map(str::to_owned))
        .collect();
    let mut took = Vec::new();
    for p in &people[..4] {
        let sent = Instant::now();
        kiosk_api
            .patch(
                &format!("/api/v1/evacuations/{id}/people/{p}"),
                &other,
                json!({"status": "safe"}),
            )
            .await
            .expect(200);
        b.wait(&person(p, "safe")).await;
        took.push(sent.elapsed());
    }
    took.sort();
    eprintln!(
        "[console] roll call mark on replica 2 → shown in the page on replica 1: median {:?} of 4",
        took[2]
    );
    b.click(&testid(&format!("roll-missing-{}", people[4])))
        .await;
    vestibule_tests::wait_until(
        "replica 2 reads the page's mark",
        std::time::Duration::from_secs(10),
        async || {
            let r = kiosk_api
                .get(&format!("/api/v1/evacuations/{id}"), &other)
                .await
                .expect(200);
            (r["counts"] == json!({"total": 5, "safe": 4, "missing": 1, "unaccounted": 0}))
                .then_some(())
        },
    )
    .await;
    wait_number(&b, "roll-count-safe", 4).await;
    wait_number(&b, "roll-count-missing", 1).await;
    b.click(&testid("sign-out")).await;
    b.wait(&testid("screen-login")).await;
    b.close().await;
}

#[tokio::test]
async fn console_front_desk_walk_on_sqlite() {
    front_desk_walk().await;
}

#[tokio::test]
async fn console_live_across_replicas_on_postgres() {
    live_across_replicas().await;
}
