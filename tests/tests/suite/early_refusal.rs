//! An early refusal reaches the client. A kiosk's check-out body refused before it is read (too
//! large, or without a credential) while the client is still sending it, slowly, over TLS, is answered in
//! full every time: the server shuts its side and drains what the client still sends before it
//! closes (a lingering close), instead of closing with unread data, which resets the connection.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vestibule_tests::{Auth, Engine, Tenant, TestServer, api::visitor};

/// Bodies sent per case, from 100 kB up in steps of 25 kB (the JSON limit is 64 KiB).
const ROUNDS: usize = 8;
/// The body goes out in chunks of this many bytes...
const CHUNK: usize = 8 * 1024;
/// ...with this pause after each.
const PAUSE: Duration = Duration::from_millis(10);

#[tokio::test]
async fn a_body_refused_while_it_is_sent_slowly_gets_its_whole_answer() {
    let server = TestServer::start(Engine::Sqlite).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    let Auth::Bearer(device) = &t.device else {
        panic!("a device token")
    };
    let cases = [
        (Some(device.as_str()), 413, "payload_too_large"),
        (None, 401, "unauthorized"),
    ];
    let mut failures = Vec::new();
    let mut sent = 0;
    for (token, status, code) in cases {
        for round in 0..ROUNDS {
            let mut body = visitor(&t.host, "Valid Name", "valid@example.com");
            body["purpose"] = json!("x".repeat(100 * 1000 + round * 25 * 1000));
            sent += 1;
            let outcome =
                tokio::time::timeout(Duration::from_secs(30), send_slowly(&server, token, &body))
                    .await;
            match outcome.unwrap_or_else(|_| Err("no answer within 30 s".to_owned())) {
                Ok((got, envelope)) if got == status && envelope["error"]["code"] == code => {}
                Ok((got, envelope)) => {
                    failures.push(format!("{code} round {round}: {got} {envelope}"))
                }
                Err(e) => failures.push(format!("{code} round {round}: {e}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {sent} early refusals were lost: {failures:#?}",
        failures.len()
    );
}

/// Sends a body to the check-out route in small chunks with pauses while reading the answer, as an HTTP client
/// does; returns the answer's status and envelope, or what went wrong (a reset while sending or
/// reading, a cut answer).
async fn send_slowly(
    server: &TestServer,
    token: Option<&str>,
    body: &Value,
) -> Result<(u16, Value), String> {
    let body = serde_json::to_vec(body).expect("JSON");
    let auth = token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
    let head = format!(
        "POST /api/v1/kiosk/visits/checkout HTTP/1.1\r\nHost: localhost\r\n{auth}Content-Type: application/json\r\nIdempotency-Key: {}\r\nContent-Length: {}\r\n\r\n",
        uuid::Uuid::now_v7(),
        body.len()
    );
    let (mut reader, mut writer) = tokio::io::split(server.raw_tls().await);
    let reading = tokio::spawn(async move {
        let mut answer = Vec::new();
        reader.read_to_end(&mut answer).await.map(|_| answer)
    });
    let mut written = 0;
    let sending: std::io::Result<()> = async {
        writer.write_all(head.as_bytes()).await?;
        for chunk in body.chunks(CHUNK) {
            writer.write_all(chunk).await?;
            writer.flush().await?;
            written += chunk.len();
            tokio::time::sleep(PAUSE).await;
        }
        writer.shutdown().await
    }
    .await;
    let answer = reading
        .await
        .expect("the reader")
        .map_err(|e| format!("reading the answer: {e}"))?;
    sending.map_err(|e| format!("sending, after {written} of {} body bytes: {e}", body.len()))?;
    parse_answer(&answer)
}

/// The status and JSON envelope of a whole HTTP/1.1 answer (its body as long as it says).
fn parse_answer(answer: &[u8]) -> Result<(u16, Value), String> {
    let text = String::from_utf8_lossy(answer);
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("a cut answer: {text:?}"))?;
    let status = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status: {head:?}"))?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map(|(_, v)| v.trim())
        })
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no content-length: {head:?}"))?;
    if rest.len() != length {
        return Err(format!(
            "a body of {} bytes for a content-length of {length}",
            rest.len()
        ));
    }
    serde_json::from_str(rest)
        .map(|envelope| (status, envelope))
        .map_err(|e| format!("not JSON ({e}): {rest:?}"))
}
