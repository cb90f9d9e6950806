//! Visitor types over the real binary, on both engines: a type with questions, an agreement,
//! a photo; the check-ins its flow refuses whole (a missing required answer, an answer to another
//! type's question, a photo that is no image, too large or a decompression bomb, an empty
//! signature), nothing written; a good one recorded (answers, photo re-encoded, the signature)
//! and its signed agreement as a PDF that `pdftotext` reads back, carrying the SHA-256 of the
//! version shown and unchanged by a newer version; the host's approval, by the emailed link and
//! from the console; the visitor's emailed copy as a PDF; and the at-rest scan finding no answer,
//! photo or signature in the database.

use std::{io::Cursor, io::Write, process::Command, time::Instant};

use base64::Engine as _;
use image::{DynamicImage, ImageFormat, RgbImage};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vestibule_tests::{
    Api, Engine, Tenant, TestServer,
    everything::signature_png,
    smtp::{SmtpMode, SmtpServer},
    wait_until,
};

use super::mail::{cert_files, configure, header, server};

/// What the visitor answers, which must never be found at rest.
const ANSWER: &str = "Bringing a gas analyser";
const SIGNER: &str = "Ottilie Signer";
const TITLE: &str = "Site safety rules";
const BODY: &str = "Wear the helmet at all times.\nThe assembly point is the car park by gate 2.";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn encoded(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format)
        .expect("encode");
    out
}

/// A photo with metadata-like noise in its pixels: a gradient.
fn photo() -> Vec<u8> {
    let img = RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    encoded(DynamicImage::ImageRgb8(img), ImageFormat::Jpeg)
}

/// A photo in base64, as a check-in carries it.
pub(crate) fn photo_b64() -> String {
    b64(&photo())
}

/// A signature in base64, as a check-in carries it.
pub(crate) fn signature_b64() -> String {
    b64(&signature_png(3))
}

/// A PNG whose header claims 20 000 × 20 000 pixels: a decompression bomb stopped at its header.
fn bomb() -> Vec<u8> {
    let mut png = Vec::new();
    png.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let chunk = |png: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        png.extend_from_slice(&crc_input);
        png.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&20_000u32.to_be_bytes());
    ihdr.extend_from_slice(&20_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut png, b"IEND", &[]);
    png
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// `pdftotext`'s reading of a PDF.
pub(crate) fn pdf_text(pdf: &[u8]) -> String {
    let mut child = Command::new("pdftotext")
        .args(["-layout", "-", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("pdftotext (poppler-utils) runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(pdf)
        .expect("write the PDF");
    let out = child.wait_with_output().expect("pdftotext");
    assert!(out.status.success(), "pdftotext read the PDF");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A binary answer (a photo, a PDF) to the tenant's admin.
async fn get_bytes(server: &TestServer, path: &str, t: &Tenant) -> (u16, Vec<u8>) {
    super::badges::get_bytes(&server.api(), path, &t.admin).await
}

async fn visit_count(api: &Api, t: &Tenant) -> i64 {
    api.get("/api/v1/visits", &t.admin).await.expect(200)["total"]
        .as_i64()
        .expect("total")
}

/// Sets up a contractor type: a required text question, a choice question, the agreement and a
/// photo. Returns (type, agreement, question ids).
async fn contractor(api: &Api, t: &Tenant) -> (Value, Value) {
    let agreement = api
        .post(
            "/api/v1/agreements",
            &t.admin,
            json!({"name": "Safety", "texts": {"en": {"title": TITLE, "body": BODY}}}),
        )
        .await
        .expect(201);
    assert_eq!(agreement["version"], 1);
    let body = json!({
        "names": {"en": "Contractor", "fr": "Prestataire"}, "icon": "contractor",
        "fields": {"company": "required", "phone": "off", "purpose": "optional"},
        "questions": [
            {"kind": "text", "required": true, "labels": {"en": "What equipment do you bring?"}},
            {"kind": "choice", "labels": {"en": "Which building?"},
             "choices": [{"en": "North"}, {"en": "South"}]}
        ],
        "agreements": [agreement["id"]], "photo": true
    });
    let ty = api
        .post("/api/v1/visitor-types", &t.admin, body)
        .await
        .expect(201);
    (ty, agreement)
}

async fn types_shape_the_check_in(engine: Engine) {
    let server = server(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "types").await;

    // Definitions are checked whole.
    let bad = [
        json!({"names": {}}),
        json!({"names": {"en": "X"}, "questions": [{"kind": "choice", "labels": {"en": "Q"}, "choices": [{"en": "only one"}]}]}),
        json!({"names": {"en": "X"}, "approval": true, "host_required": false, "default_host_id": t.host}),
        json!({"names": {"en": "X"}, "host_required": false}),
        json!({"names": {"en": "X"}, "agreements": [uuid::Uuid::nil()]}),
    ];
    for body in bad {
        let r = api
            .post("/api/v1/visitor-types", &t.admin, body.clone())
            .await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (422, "invalid_input"),
            "{body}: {}",
            r.text
        );
    }

    // Without types, the built-in flow; with them, a walk-in must name one.
    let plain = json!({"visitor": {"name": "Before Types", "email": "before@visitors.test"}, "host_id": t.host});
    api.check_in(&t.device, "before", &plain).await.expect(201);
    let (ty, agreement) = contractor(&api, &t).await;
    let r = api.check_in(&t.device, "untyped", &plain).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "invalid_input"),
        "{}",
        r.text
    );

    let offered = api
        .get("/api/v1/kiosk/visitor-types", &t.device)
        .await
        .expect(200);
    assert_eq!(offered.as_array().map(Vec::len), Some(1));
    let k = &offered[0];
    let text = &k["agreements"][0]["texts"]["en"];
    assert_eq!(text["body"], BODY);
    let sha = hex::encode(Sha256::digest(format!("{TITLE}\n\n{BODY}").as_bytes()));
    assert_eq!(text["sha256"], sha.as_str());
    let (q_text, q_choice) = (
        k["questions"][0]["id"].clone(),
        k["questions"][1]["id"].clone(),
    );

    let good = |answers: Value, photo: &[u8], signature: &[u8]| {
        json!({
            "visitor": {"name": SIGNER, "email": "ottilie@visitors.test", "company": "Gasworks"},
            "host_id": t.host, "visitor_type_id": ty["id"], "answers": answers,
            "agreements": [{"document_id": agreement["id"], "version": 1, "language": "en"}],
            "signature": b64(signature), "photo": b64(photo)
        })
    };
    let answers =
        json!([{"question_id": q_text, "value": ANSWER}, {"question_id": q_choice, "value": 1}]);
    let before = visit_count(&api, &t).await;
    let refused = [
        (
            "a required answer missing",
            good(
                json!([{"question_id": q_choice, "value": 0}]),
                &photo(),
                &signature_png(3),
            ),
        ),
        (
            "another type's question",
            good(
                json!([{"question_id": q_text, "value": ANSWER}, {"question_id": uuid::Uuid::now_v7(), "value": true}]),
                &photo(),
                &signature_png(3),
            ),
        ),
        (
            "a choice out of range",
            good(
                json!([{"question_id": q_text, "value": ANSWER}, {"question_id": q_choice, "value": 7}]),
                &photo(),
                &signature_png(3),
            ),
        ),
        (
            "a photo that is not an image",
            good(
                answers.clone(),
                b"GIF89a not really an image",
                &signature_png(3),
            ),
        ),
        (
            "a decompression bomb",
            good(answers.clone(), &bomb(), &signature_png(3)),
        ),
        (
            "an empty signature",
            good(answers.clone(), &photo(), &signature_png(0)),
        ),
    ];
    for (what, body) in refused {
        let r = api.check_in(&t.device, &format!("bad-{what}"), &body).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (422, "invalid_input"),
            "{what}: {}",
            r.text
        );
        assert!(
            !r.text.contains(SIGNER) && !r.text.contains(ANSWER),
            "{what}: {}",
            r.text
        );
    }
    let mut too_big = good(answers.clone(), &photo(), &signature_png(3));
    too_big["photo"] = json!("A".repeat(1_500_000));
    let r = api.check_in(&t.device, "bad-too-big", &too_big).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "invalid_input"),
        "too large: {}",
        r.text
    );
    let mut no_sig = good(answers.clone(), &photo(), &signature_png(3));
    no_sig.as_object_mut().expect("object").remove("signature");
    let r = api.check_in(&t.device, "bad-unsigned", &no_sig).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "invalid_input"),
        "{}",
        r.text
    );
    assert_eq!(visit_count(&api, &t).await, before, "nothing was written");

    // A good one.
    let sent_photo = photo();
    let v = api
        .check_in(
            &t.device,
            "good",
            &good(answers.clone(), &sent_photo, &signature_png(3)),
        )
        .await
        .expect(201);
    assert_eq!(v["status"], "on_site");
    assert!(v["badge_code"].is_string());
    let id = v["visit_id"].as_str().expect("id").to_owned();
    let record = api
        .get(&format!("/api/v1/visits/{id}/record"), &t.admin)
        .await
        .expect(200);
    assert_eq!(record["visitor_type"], "Contractor");
    assert_eq!(record["answers"][0]["answer"], ANSWER);
    assert_eq!(record["answers"][1]["answer"], "South");
    assert_eq!(record["photo"], true);
    assert_eq!(record["agreements"][0]["sha256"], sha.as_str());
    let (status, stored_photo) =
        get_bytes(&server, &format!("/api/v1/visits/{id}/photo"), &t).await;
    assert_eq!(status, 200);
    let decoded =
        image::load_from_memory_with_format(&stored_photo, ImageFormat::Jpeg).expect("a JPEG");
    assert_eq!((decoded.width(), decoded.height()), (640, 480));
    println!(
        "MEASURED stored photo {} bytes (sent {}), signature PNG {} bytes sent",
        stored_photo.len(),
        sent_photo.len(),
        signature_png(3).len()
    );

    // The signed agreement's PDF, read back by pdftotext.
    let pdf_path = format!(
        "/api/v1/visits/{id}/agreements/{}/pdf",
        agreement["id"].as_str().expect("id")
    );
    let started = Instant::now();
    let (status, pdf) = get_bytes(&server, &pdf_path, &t).await;
    println!(
        "MEASURED signed-agreement PDF {} bytes in {:?} (request, render and transfer)",
        pdf.len(),
        started.elapsed()
    );
    assert_eq!(status, 200);
    let text = pdf_text(&pdf);
    for needle in [
        TITLE,
        "Wear the helmet at all times.",
        "Version 1",
        SIGNER,
        &sha,
    ] {
        assert!(text.contains(needle), "{needle:?} in {text}");
    }
    // A new version changes nothing of the visit that signed the old one.
    let aid = agreement["id"].as_str().expect("id");
    let v2 = api
        .put(
            &format!("/api/v1/agreements/{aid}"),
            &t.admin,
            json!({"name": "Safety", "texts": {"en": {"title": TITLE, "body": "Entirely new rules."}}}),
        )
        .await
        .expect(200);
    assert_eq!(v2["version"], 2);
    let (_, again) = get_bytes(&server, &pdf_path, &t).await;
    let again = pdf_text(&again);
    assert!(
        again.contains("Wear the helmet") && !again.contains("Entirely new"),
        "{again}"
    );
    let offered = api
        .get("/api/v1/kiosk/visitor-types", &t.device)
        .await
        .expect(200);
    assert_eq!(offered[0]["agreements"][0]["version"], 2);

    at_rest(&server, engine, &stored_photo).await;
}

/// The database (SQLite: its file, WAL and a backup; PostgreSQL: every text and bytea column)
/// holds no answer, no signer's name, and neither the stored photo's bytes nor any bare image.
async fn at_rest(server: &TestServer, engine: Engine, stored_photo: &[u8]) {
    let chunk = stored_photo[stored_photo.len() / 2..][..64].to_vec();
    let needles: Vec<Vec<u8>> = vec![
        ANSWER.as_bytes().to_vec(),
        SIGNER.as_bytes().to_vec(),
        chunk,
        b"\x89PNG\r\n".to_vec(),
        b"\xff\xd8\xff".to_vec(),
    ];
    if engine == Engine::Sqlite {
        use sqlx::Connection;
        let db = server.data_dir.path().join("vestibule.db");
        let mut conn =
            sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", db.display()))
                .await
                .expect("open the database");
        let (photo, signature): (i64, i64) = sqlx::query_as(
            "SELECT length(photo_enc), length(signature_enc) FROM visit_records WHERE photo_enc IS NOT NULL",
        )
        .fetch_one(&mut conn)
        .await
        .expect("sizes");
        println!(
            "MEASURED at rest per visit: photo {photo} bytes, signature {signature} bytes (sealed)"
        );
    }
    let hay = super::at_rest::stored_bytes(server, engine).await;
    for (what, hay) in hay {
        for n in &needles {
            assert!(
                !hay.windows(n.len()).any(|w| w == n.as_slice()),
                "{what} holds {:?}",
                String::from_utf8_lossy(&n[..n.len().min(16)])
            );
        }
    }
}

async fn hosts_approve_or_decline(engine: Engine) {
    let server = server(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "approvals").await;
    let (cert, key, pem) = cert_files(&server);
    let smtp = SmtpServer::start(SmtpMode::Tls, &cert, &key, 0).await;
    configure(&api, &t, &smtp, Some(&pem)).await;
    let ty = api
        .post(
            "/api/v1/visitor-types",
            &t.admin,
            json!({"names": {"en": "Candidate"}, "icon": "interview", "approval": true}),
        )
        .await
        .expect(201);
    let walk_in = |key: &'static str, name: &'static str| {
        let api = api.clone();
        let (device, host, ty) = (t.device.clone(), t.host.clone(), ty["id"].clone());
        async move {
            let body = json!({"visitor": {"name": name, "email": format!("{key}@visitors.test")},
                "host_id": host, "visitor_type_id": ty});
            api.check_in(&device, key, &body).await.expect(201)
        }
    };
    let v = walk_in("cand-1", "Carla Candidate").await;
    assert_eq!(
        (v["status"].as_str(), v["badge_code"].as_str()),
        (Some("pending_approval"), None),
        "{v}"
    );
    let id = v["visit_id"].as_str().expect("id").to_owned();
    let state = api
        .get(&format!("/api/v1/kiosk/visits/{id}"), &t.device)
        .await
        .expect(200);
    assert_eq!(
        (state["status"].as_str(), state["badge_code"].as_str()),
        (Some("pending_approval"), None)
    );

    // The host's email carries the link; the link approves.
    let email = wait_until(
        "the approval email",
        std::time::Duration::from_secs(30),
        async || {
            smtp.messages().into_iter().find(|m| {
                header(m, "Subject")
                    .is_some_and(|s| s.starts_with("Carla Candidate is waiting for your approval"))
            })
        },
    )
    .await;
    let read = super::mail::read_email(&email);
    let text = read["text"].as_str().expect("text");
    let token = text
        .split("/approval#")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a link")
        .to_owned();
    let mut forged = token.clone();
    forged.replace_range(forged.len() - 4.., "AAAA");
    let r = api
        .post(
            "/api/v1/approvals/lookup",
            &vestibule_tests::Auth::None,
            json!({"token": forged}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let ask = api
        .post(
            "/api/v1/approvals/lookup",
            &vestibule_tests::Auth::None,
            json!({"token": token}),
        )
        .await
        .expect(200);
    assert_eq!(
        (ask["visitor_name"].as_str(), ask["state"].as_str()),
        (Some("Carla Candidate"), Some("pending"))
    );
    let r = api
        .post(
            "/api/v1/approvals",
            &vestibule_tests::Auth::None,
            json!({"token": token, "approve": true}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let state = api
        .get(&format!("/api/v1/kiosk/visits/{id}"), &t.device)
        .await
        .expect(200);
    assert_eq!(state["status"], "on_site");
    assert!(state["badge_code"].is_string());
    let r = api
        .post(
            "/api/v1/approvals",
            &vestibule_tests::Auth::None,
            json!({"token": token, "approve": false}),
        )
        .await;
    assert_eq!(r.status, 404, "decided once: {}", r.text);

    // Declined from the console: checked out, and the kiosk says so.
    let w = walk_in("cand-2", "Dora Declined").await;
    let wid = w["visit_id"].as_str().expect("id").to_owned();
    api.post(&format!("/api/v1/visits/{wid}/deny"), &t.admin, json!({}))
        .await
        .expect(204);
    let state = api
        .get(&format!("/api/v1/kiosk/visits/{wid}"), &t.device)
        .await
        .expect(200);
    assert_eq!(
        (state["status"].as_str(), state["badge_code"].as_str()),
        (Some("denied"), None)
    );
    let visit = api
        .get(&format!("/api/v1/visits/{wid}"), &t.admin)
        .await
        .expect(200);
    assert_eq!(visit["status"], "denied");
    let record = api
        .get(&format!("/api/v1/visits/{wid}/record"), &t.admin)
        .await
        .expect(200);
    assert_eq!(record["approval"]["state"], "denied");

    // A visitor who asks gets what they signed by email, as a PDF.
    let agreement = api
        .post(
            "/api/v1/agreements",
            &t.admin,
            json!({"name": "NDA", "texts": {"en": {"title": "Non-disclosure", "body": BODY}}}),
        )
        .await
        .expect(201);
    let supplier = api
        .post(
            "/api/v1/visitor-types",
            &t.admin,
            json!({"names": {"en": "Supplier"}, "agreements": [agreement["id"]]}),
        )
        .await
        .expect(201);
    let body = json!({"visitor": {"name": SIGNER, "email": "ottilie@visitors.test"},
        "host_id": t.host, "visitor_type_id": supplier["id"], "signature": signature_b64(),
        "agreements": [{"document_id": agreement["id"], "version": 1, "language": "en"}],
        "email_agreements": true});
    api.check_in(&t.device, "supplier", &body).await.expect(201);
    let email = wait_until(
        "the signed agreement's email",
        std::time::Duration::from_secs(30),
        async || {
            smtp.messages().into_iter().find(|m| {
                header(m, "X-Envelope-To").as_deref() == Some("ottilie@visitors.test")
                    && header(m, "Subject")
                        .is_some_and(|s| s.starts_with("Your signed agreement with"))
            })
        },
    )
    .await;
    let read = super::mail::read_email(&email);
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(read["pdf"][0].as_str().expect("a PDF attachment"))
        .expect("base64");
    let text = pdf_text(&pdf);
    assert!(
        text.contains("Non-disclosure") && text.contains(SIGNER),
        "{text}"
    );
}

both_engines!(types_shape_the_check_in, hosts_approve_or_decline);
