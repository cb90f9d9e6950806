//! Host notifications by email against a real SMTP server with TLS (aiosmtpd): a check-in sends
//! exactly one email with the right content in the tenant's language; a mail server that is down
//! delays the email but never the check-in; a server without STARTTLS, or with a certificate that
//! does not verify, gets nothing; a server killed between send and mark does not send twice.

use std::time::Duration;

use serde_json::{Value, json};
use vestibule_tests::{
    Api, Engine, Tenant, TestServer,
    smtp::{SMTP_PASSWORD, SMTP_USER, SmtpMode, SmtpServer},
    wait_until,
};

const VISITOR: &str = "Mail Visitor";

/// A server whose failed emails are retried after 1 s, and whose claims last 4 s.
pub(crate) async fn server(engine: Engine) -> TestServer {
    TestServer::start_with(
        engine,
        &["--mail-retry-secs", "1", "--mail-lease-secs", "4"],
    )
    .await
}

/// Points the tenant's mail at `smtp`, trusting `ca` (PEM) if given.
pub(crate) async fn configure(api: &Api, t: &Tenant, smtp: &SmtpServer, ca: Option<&str>) {
    let security = if smtp.mode == SmtpMode::Tls {
        "tls"
    } else {
        "starttls"
    };
    let body = json!({
        "host": "localhost", "port": smtp.port, "security": security,
        "username": SMTP_USER, "password": SMTP_PASSWORD,
        "from_address": "reception@acme.test", "from_name": "ACME Reception", "ca_pem": ca,
    });
    let saved = api
        .put("/api/v1/integrations/smtp", &t.admin, body)
        .await
        .expect(200);
    assert_eq!(saved["has_password"], true);
    assert!(
        saved.get("password").is_none(),
        "the password is never shown"
    );
}

pub(crate) fn cert_files(server: &TestServer) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let dir = server.data_dir.path().join("tls");
    let pem = String::from_utf8(server.cert_pem()).expect("PEM");
    (dir.join("cert.pem"), dir.join("key.pem"), pem)
}

/// Starts an SMTP server over TLS, with the test server's certificate, and points the tenant's
/// mail at it (trusting that certificate as its CA).
pub(crate) async fn tls_mail(server: &TestServer, api: &Api, t: &Tenant) -> SmtpServer {
    let (cert, key, pem) = cert_files(server);
    let smtp = SmtpServer::start(SmtpMode::Tls, &cert, &key, 0).await;
    configure(api, t, &smtp, Some(&pem)).await;
    smtp
}

/// The tenant's notifications, newest first.
async fn notifications(api: &Api, t: &Tenant) -> Vec<Value> {
    api.get("/api/v1/notifications", &t.admin).await.expect(200)["items"]
        .as_array()
        .expect("items")
        .clone()
}

/// Waits until the newest notification satisfies `done`.
async fn wait_notification(
    api: &Api,
    t: &Tenant,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    wait_until(
        &format!("the newest notification is {what}"),
        Duration::from_secs(30),
        async || {
            notifications(api, t)
                .await
                .into_iter()
                .next()
                .filter(|n| done(n))
        },
    )
    .await
}

/// Waits until every notification satisfies `done`: the sender has nothing left to do with them.
async fn wait_all_notifications(api: &Api, t: &Tenant, what: &str, done: impl Fn(&Value) -> bool) {
    wait_until(
        &format!("every notification is {what}"),
        Duration::from_secs(30),
        async || notifications(api, t).await.iter().all(&done).then_some(()),
    )
    .await;
}

/// A header's value, unfolded.
pub(crate) fn header(message: &str, name: &str) -> Option<String> {
    let text = message.replace("\r\n", "\n");
    let head = text
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .replace("\n ", " ");
    head.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": ").map(str::to_owned))
}

/// Decodes RFC 2047 `=?utf-8?b?...?=` words (what non-ASCII subjects become); the space
/// between two encoded words is not part of the text.
pub(crate) fn decode_words(raw: &str) -> String {
    use base64::Engine as _;
    let mut out = String::new();
    let mut last_encoded = false;
    for w in raw.split_whitespace() {
        let decoded = w
            .strip_prefix("=?utf-8?b?")
            .and_then(|r| r.strip_suffix("?="))
            .map(|b| {
                String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(b)
                        .expect("base64"),
                )
                .expect("UTF-8")
            });
        let joins_previous = last_encoded && decoded.is_some();
        if !out.is_empty() && !joins_previous {
            out.push(' ');
        }
        last_encoded = decoded.is_some();
        out.push_str(&decoded.unwrap_or_else(|| w.to_owned()));
    }
    out
}

async fn one_email_per_check_in(engine: Engine, mode: SmtpMode) {
    let server = server(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    let (cert, key, pem) = cert_files(&server);
    let smtp = SmtpServer::start(mode, &cert, &key, 0).await;
    configure(&api, &t, &smtp, Some(&pem)).await;

    let visit = t.check_in(&api, "mail-1", VISITOR).await;
    let got = smtp.wait_for(1, Duration::from_secs(30)).await;
    let m = &got[0];
    assert_eq!(
        header(m, "X-Envelope-To").as_deref(),
        Some("harriet@acme.test"),
        "{m}"
    );
    assert_eq!(
        header(m, "Subject").as_deref(),
        Some("Mail Visitor is at Headquarters reception"),
        "{m}"
    );
    assert!(
        header(m, "From").is_some_and(|f| f.contains("reception@acme.test")),
        "{m}"
    );
    assert!(
        m.contains("multipart/alternative") && m.contains("text/plain") && m.contains("text/html"),
        "{m}"
    );
    assert!(
        m.contains("Mail Visitor from Globex Corporation is at Headquarters reception."),
        "{m}"
    );
    let sent = wait_notification(&api, &t, "sent", |n| n["status"] == "sent").await;
    assert_eq!(
        header(m, "Message-ID").as_deref(),
        sent["message_id"].as_str(),
        "the recorded Message-ID is the one sent"
    );
    assert!(!visit.is_empty());

    // The tenant's language; and the check-out email when the tenant wants it.
    api.patch(
        "/api/v1/settings",
        &t.admin,
        json!({"language": "fr", "notify_checkout": true, "notify_waiting_minutes": 10}),
    )
    .await
    .expect(200);
    let visit = t.check_in(&api, "mail-2", "Zoé Durand").await;
    // The "still waiting" reminder is scheduled ten minutes after the check-in.
    let all = notifications(&api, &t).await;
    let reminder = all
        .iter()
        .find(|n| n["status"] == "pending")
        .expect("a pending reminder");
    let due =
        chrono::DateTime::parse_from_rfc3339(reminder["next_attempt_at"].as_str().expect("time"))
            .expect("RFC 3339");
    let created =
        chrono::DateTime::parse_from_rfc3339(reminder["created_at"].as_str().expect("time"))
            .expect("RFC 3339");
    assert!(
        (595..=600).contains(&(due - created).num_seconds()),
        "{reminder}"
    );
    let got = smtp.wait_for(2, Duration::from_secs(30)).await;
    let subject = header(&got[1], "Subject").map(|s| decode_words(&s));
    assert_eq!(
        subject.as_deref(),
        Some("Zoé Durand vous attend à l'accueil de Headquarters"),
        "{}",
        got[1]
    );
    api.post(
        &format!("/api/v1/visits/{visit}/checkout"),
        &t.admin,
        json!({}),
    )
    .await
    .expect(204);
    smtp.wait_for(3, Duration::from_secs(30)).await;
    // Once all but the reminder are marked sent, nothing more can go out before the reminder is due.
    wait_all_notifications(&api, &t, "sent, or the reminder not yet due", |n| {
        n["status"] == "sent" || (n["status"] == "pending" && n["attempts"] == 0)
    })
    .await;
    assert_eq!(
        smtp.messages().len(),
        3,
        "exactly one email per event (the reminder is not due)"
    );
    // Several at once: one batch of rows, read, marked and settled together, each email once.
    api.patch(
        "/api/v1/settings",
        &t.admin,
        json!({"notify_waiting_minutes": 0}),
    )
    .await
    .expect(200);
    let keys: Vec<String> = (0..12).map(|i| format!("mail-many-{i}")).collect();
    futures::future::join_all(keys.iter().map(|k| t.check_in(&api, k, VISITOR))).await;
    let got = smtp.wait_for(15, Duration::from_secs(30)).await;
    wait_all_notifications(&api, &t, "all sent but the reminder", |n| {
        n["status"] == "sent" || (n["status"] == "pending" && n["attempts"] == 0)
    })
    .await;
    let ids: std::collections::HashSet<_> =
        got.iter().filter_map(|m| header(m, "Message-ID")).collect();
    assert_eq!((got.len(), ids.len()), (15, 15), "one email per check-in");
    assert!(
        !server.log().contains(VISITOR),
        "no visitor name in the server's log"
    );
}

#[tokio::test]
async fn one_email_per_check_in_starttls_on_sqlite() {
    one_email_per_check_in(Engine::Sqlite, SmtpMode::Starttls).await;
}

#[tokio::test]
async fn one_email_per_check_in_implicit_tls_on_postgres() {
    one_email_per_check_in(Engine::Postgres, SmtpMode::Tls).await;
}

#[tokio::test]
async fn mail_server_down_delays_the_email_not_the_check_in() {
    let server = server(Engine::Sqlite).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    let (cert, key, pem) = cert_files(&server);
    let mut smtp = SmtpServer::stopped(SmtpMode::Starttls, &cert, &key);
    configure(&api, &t, &smtp, Some(&pem)).await;

    let started = std::time::Instant::now();
    t.check_in(&api, "down-1", VISITOR).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the check-in did not wait for the mail server"
    );
    let failed =
        wait_notification(&api, &t, "with an error", |n| n["last_error"].is_string()).await;
    assert_eq!(failed["status"], "pending", "{failed}");
    assert!(
        failed["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("could not be reached")),
        "{failed}"
    );

    smtp.restart().await;
    smtp.wait_for(1, Duration::from_secs(30)).await;
    wait_notification(&api, &t, "sent", |n| n["status"] == "sent").await;
    assert_eq!(
        smtp.messages().len(),
        1,
        "the attempts that failed sent nothing"
    );
}

#[tokio::test]
async fn no_starttls_or_a_bad_certificate_means_no_send() {
    let server = server(Engine::Sqlite).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    let (cert, key, pem) = cert_files(&server);

    // A server that does not offer STARTTLS: lettre must refuse, never fall back to plaintext.
    let plain = SmtpServer::start(SmtpMode::Plain, &cert, &key, 0).await;
    configure(&api, &t, &plain, Some(&pem)).await;
    t.check_in(&api, "plain-1", VISITOR).await;
    let n = wait_notification(&api, &t, "with an error", |n| n["last_error"].is_string()).await;
    assert!(
        n["last_error"]
            .as_str()
            .is_some_and(|e| e.to_lowercase().contains("starttls")),
        "{n}"
    );

    // A certificate the sender cannot verify (no CA given for this self-signed one).
    let tls = SmtpServer::start(SmtpMode::Tls, &cert, &key, 0).await;
    configure(&api, &t, &tls, None).await;
    t.check_in(&api, "tls-1", VISITOR).await;
    let n = wait_notification(&api, &t, "with a TLS error", |n| {
        n["last_error"].as_str().is_some_and(|e| e.contains("TLS"))
    })
    .await;
    assert_eq!(n["status"], "pending", "{n}");
    // Retried (every second) and refused again: still nothing sent.
    wait_all_notifications(&api, &t, "tried three times", |n| {
        n["attempts"].as_i64().is_some_and(|a| a >= 3)
    })
    .await;
    assert!(
        plain.messages().is_empty() && tls.messages().is_empty(),
        "nothing was sent"
    );
}

/// "Send a test email" sends one now, to the admin asking, and reports what really happened:
/// delivered by the TLS server it trusts; refused by one whose certificate it cannot verify.
#[tokio::test]
async fn a_test_email_reports_the_real_outcome() {
    let server = server(Engine::Sqlite).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    let r = api
        .post("/api/v1/integrations/smtp/test", &t.admin, json!({}))
        .await;
    assert_eq!(r.status, 404, "no SMTP server yet: {}", r.text);
    let (cert, key, pem) = cert_files(&server);
    let tls = SmtpServer::start(SmtpMode::Tls, &cert, &key, 0).await;
    configure(&api, &t, &tls, Some(&pem)).await;
    let ok = api
        .post("/api/v1/integrations/smtp/test", &t.admin, json!({}))
        .await
        .expect(200);
    assert_eq!(
        (ok["sent"].as_bool(), ok["to"].as_str()),
        (Some(true), Some("admin@acme.test")),
        "{ok}"
    );
    let got = tls.wait_for(1, Duration::from_secs(10)).await;
    assert!(got[0].contains("admin@acme.test"), "{}", got[0]);
    configure(&api, &t, &tls, None).await;
    let refused = api
        .post("/api/v1/integrations/smtp/test", &t.admin, json!({}))
        .await
        .expect(200);
    assert_eq!(refused["sent"], false, "{refused}");
    assert!(
        refused["error"].as_str().is_some_and(|e| e.contains("TLS")),
        "{refused}"
    );
    assert_eq!(tls.messages().len(), 1, "the refused test sent nothing");
}

#[tokio::test]
async fn a_crash_between_send_and_mark_does_not_send_twice() {
    let mut server = server(Engine::Sqlite).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    let (cert, key, pem) = cert_files(&server);
    // The SMTP server takes the message, then waits 10 s before it says so.
    let smtp = SmtpServer::start(SmtpMode::Starttls, &cert, &key, 10).await;
    configure(&api, &t, &smtp, Some(&pem)).await;

    t.check_in(&api, "crash-1", VISITOR).await;
    smtp.wait_for(1, Duration::from_secs(30)).await;
    server.kill().await; // sent, not yet marked
    server.restart().await;
    let api = server.api();
    let n = wait_notification(&api, &t, "given up", |n| n["status"] == "failed").await;
    assert!(
        n["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("not sent again")),
        "{n}"
    );
    // Given up on is final: the sender never takes it again.
    assert_eq!(
        smtp.messages().len(),
        1,
        "the message was not sent a second time"
    );
}

/// An email read by independent tools: its plain text (`text`), the Content-ID of its PNG image
/// (`png_cid`), its calendar event if any (`event`: `summary`, `description`, `start`), its PDF
/// attachments in base64 (`pdf`), and what `zbarimg` reads in the image (`qr`).
pub(crate) fn read_email(message: &str) -> Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let (eml, png) = (dir.path().join("message.eml"), dir.path().join("image.png"));
    std::fs::write(&eml, message).expect("write");
    let out = std::process::Command::new(vestibule_tests::smtp::python())
        .args(["-c", READ_EMAIL])
        .arg(&eml)
        .arg(&png)
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut read: Value = serde_json::from_slice(&out.stdout).expect("json");
    if png.exists() {
        let zbar = std::process::Command::new("zbarimg")
            .args(["--raw", "-q"])
            .arg(&png)
            .output()
            .expect("zbarimg (zbar-tools)");
        read["qr"] = String::from_utf8_lossy(&zbar.stdout).trim().into();
    }
    read
}

/// Reads an email with Python's standard library and the `icalendar` package (neither shares
/// code with the server's writer): prints its plain text and its calendar event as JSON, and
/// writes its PNG image to the path given.
const READ_EMAIL: &str = r#"
import base64, email, json, sys, icalendar
msg = email.message_from_bytes(open(sys.argv[1], 'rb').read())
out = {}
for part in msg.walk():
    kind = part.get_content_type()
    if kind == 'text/plain':
        out['text'] = part.get_payload(decode=True).decode()
    elif kind == 'image/png':
        open(sys.argv[2], 'wb').write(part.get_payload(decode=True))
        out['png_cid'] = part['Content-ID']
    elif kind == 'application/pdf':
        out.setdefault('pdf', []).append(base64.b64encode(part.get_payload(decode=True)).decode())
    elif kind == 'text/calendar':
        cal = icalendar.Calendar.from_ical(part.get_payload(decode=True))
        ev = next(iter(cal.walk('VEVENT')))
        out['event'] = {'summary': str(ev['SUMMARY']), 'description': str(ev['DESCRIPTION']),
                        'start': ev.decoded('DTSTART').isoformat()}
print(json.dumps(out))
"#;

/// The invitation email, read back by independent tools: the code and the site's arrival
/// instructions in its text, a QR code that `zbarimg` decodes to the code, and a calendar event
/// at the expected time; the host gets a
/// confirmation, and "your invited guest has arrived" when the visitor checks in with the code.
#[tokio::test]
async fn an_invitation_email_carries_its_code_as_text_qr_and_event() {
    let server = server(Engine::Sqlite).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    let smtp = tls_mail(&server, &api, &t).await;
    let arrival = "Use the side entrance on Rue Lafayette & bring an ID.";
    let site = api
        .patch(
            &format!("/api/v1/sites/{}", t.site),
            &t.admin,
            json!({"arrival_instructions": arrival}),
        )
        .await
        .expect(200);
    assert_eq!(site["arrival_instructions"], arrival);
    let at =
        chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp() + 7200, 0).expect("a time");
    let invite = api
        .post(
            "/api/v1/invites",
            &t.admin,
            json!({"visitor": {"name": "Ada Lovelace", "email": "ada@example.com"},
                   "host_id": t.host, "site_id": t.site, "expected_at": at}),
        )
        .await
        .expect(201);
    let code = invite["code"].as_str().expect("code").to_owned();
    let got = smtp.wait_for(2, Duration::from_secs(30)).await;
    let to = |who: &str| {
        got.iter()
            .find(|m| header(m, "X-Envelope-To").as_deref() == Some(who))
            .unwrap_or_else(|| panic!("no email to {who}: {got:?}"))
            .clone()
    };
    let ada = to("ada@example.com");
    let host = to("harriet@acme.test");
    assert_eq!(
        header(&host, "Subject").as_deref(),
        Some("Invitation sent to Ada Lovelace")
    );
    assert!(
        header(&ada, "Subject").is_some_and(|s| s.starts_with("Your visit to Headquarters")),
        "{ada}"
    );

    let read = read_email(&ada);
    assert!(
        read["text"]
            .as_str()
            .is_some_and(|t| t.contains(&code) && t.contains(arrival)),
        "{read}"
    );
    assert!(
        read["png_cid"].as_str().is_some(),
        "the QR code is inline: {read}"
    );
    let event = &read["event"];
    assert!(
        event["description"]
            .as_str()
            .is_some_and(|d| d.contains(&code)),
        "{read}"
    );
    let start = event["start"]
        .as_str()
        .and_then(|s| s.parse::<chrono::DateTime<chrono::Utc>>().ok());
    assert_eq!(start, Some(at), "{read}");
    assert_eq!(read["qr"], code.as_str(), "zbarimg read the QR code");

    // The visitor arrives with the code; the host hears that their invited guest is here.
    api.check_in(&t.device, "ada", &json!({"invite_code": code}))
        .await
        .expect(201);
    let got = smtp.wait_for(3, Duration::from_secs(30)).await;
    let arrived = got
        .iter()
        .filter_map(|m| header(m, "Subject"))
        .find(|s| s.contains("invited guest"));
    assert_eq!(
        arrived.as_deref(),
        Some("Your invited guest Ada Lovelace has arrived at Headquarters")
    );
}
