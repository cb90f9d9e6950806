//! The kiosk's visitor types, walked in the real app within `kiosk_end_to_end`'s session: the
//! simplest and the fullest type timed from the first tap, a signature drawn with pointer actions,
//! a photo from WebKitGTK's mock camera, the receptionist's view of it; what it leaves for the
//! disk scan.

use std::time::{Duration, Instant};

use serde_json::json;
use vestibule_tests::{Api, Tenant, kiosk::KioskApp, world::PIN};

use super::COMPANY;

pub(super) const TYPED_ANSWER: &str = "A thermal camera";

/// What the visitor-type walk leaves to check on the kiosk's disk: runs of the image bytes it
/// produced (a photo and a signature).
pub(super) struct TypedWalk {
    pub(super) images: Vec<(&'static str, Vec<u8>)>,
}

/// The bytes of a `data:` URL the page holds, read by `script`.
async fn data_url_bytes(app: &KioskApp, script: &str) -> Vec<u8> {
    use base64::Engine as _;
    let url = app.client.execute(script, vec![]).await.expect("script");
    let url = url.as_str().expect("a data URL");
    let b64 = url.split_once(";base64,").expect("base64 data").1;
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64")
}

/// A 64-byte run from the middle of `bytes` (inside the compressed data, not its header).
fn middle_run(bytes: &[u8]) -> Vec<u8> {
    assert!(bytes.len() > 256, "an image of {} bytes", bytes.len());
    bytes[bytes.len() / 2..][..64].to_vec()
}

/// Visitor types at the kiosk: the simplest (name, email, host, agreement) and the fullest (two
/// custom questions, a document read and signed with a drawn signature, a photo from the camera)
/// timed from the first tap to the confirmation; the server receives the answers, a non-blank
/// signature and the photo. The types are removed afterwards (the walk-ins that follow have none).
pub(super) async fn visitor_types(api: &Api, t: &Tenant, app: &KioskApp) -> TypedWalk {
    use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
    let agreement = api
        .post(
            "/api/v1/agreements",
            &t.admin,
            json!({"name": "Safety", "texts": {"en": {"title": "Site safety rules",
                "body": "Wear the helmet at all times.\nThe assembly point is the car park."}}}),
        )
        .await
        .expect(201);
    let simple = api
        .post(
            "/api/v1/visitor-types",
            &t.admin,
            json!({"names": {"en": "Guest"}, "position": 1,
                   "fields": {"company": "off", "phone": "off", "purpose": "off"}}),
        )
        .await
        .expect(201);
    let full = api
        .post(
            "/api/v1/visitor-types",
            &t.admin,
            json!({"names": {"en": "Contractor"}, "icon": "contractor", "position": 2,
                   "fields": {"company": "required", "phone": "off", "purpose": "off"},
                   "questions": [
                       {"kind": "text", "required": true, "labels": {"en": "What equipment do you bring?"}},
                       {"kind": "choice", "required": true, "labels": {"en": "Which building?"},
                        "choices": [{"en": "North"}, {"en": "South"}]}],
                   "agreements": [agreement["id"]], "photo": true}),
        )
        .await
        .expect(201);
    let (q_text, q_choice) = (
        full["questions"][0]["id"].as_str().expect("id").to_owned(),
        full["questions"][1]["id"].as_str().expect("id").to_owned(),
    );
    let choose = |id: &serde_json::Value| {
        format!(
            ".type-choice[data-type-id=\"{}\"]",
            id.as_str().expect("id")
        )
    };
    let tap = |css: String| async move {
        app.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(fantoccini::Locator::Css(&css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    };

    // The simplest: 6 taps (start, the type, details, the host, agree, check in).
    app.wait("screen-welcome").await;
    let began = Instant::now();
    app.click("start-checkin").await;
    app.wait("screen-type").await;
    app.screenshot("19-visitor-type").await;
    tap(choose(&simple["id"])).await;
    app.wait("screen-details").await;
    assert!(!app.shows("company").await, "company is off for this type");
    app.type_in("name", "Gus Guest").await;
    app.type_in("email", "gus@example.net").await;
    app.click("details-next").await;
    app.type_in("host-search", "Harr").await;
    app.click("host-option").await;
    app.click("consent-agree").await;
    app.click("consent-submit").await;
    app.wait("screen-confirmation").await;
    let simplest = began.elapsed();
    app.click("confirmation-done").await;
    app.wait("screen-welcome").await;

    // The fullest: the questions (a required one refused while blank), the document in full,
    // a signature drawn with the pointer, a photo from the camera (retaken once).
    let began = Instant::now();
    app.click("start-checkin").await;
    tap(choose(&full["id"])).await;
    app.type_in("name", "Carla Contractor").await;
    app.type_in("email", "carla@example.net").await;
    app.type_in("company", COMPANY).await;
    app.click("details-next").await;
    app.wait("screen-questions").await;
    app.click("questions-next").await;
    app.wait(&format!("error-question-{q_text}")).await;
    let text_field = app
        .client
        .find(fantoccini::Locator::Css(&format!(
            "input[data-question-id=\"{q_text}\"]"
        )))
        .await
        .expect("the text question");
    text_field.send_keys(TYPED_ANSWER).await.expect("type");
    tap(format!(
        "button[data-question-id=\"{q_choice}\"][data-choice=\"1\"]"
    ))
    .await;
    app.screenshot("20-questions").await;
    app.click("questions-next").await;
    app.type_in("host-search", "Harr").await;
    app.click("host-option").await;
    app.wait("screen-agreement").await;
    assert!(app.text("agreement-text").await.contains("assembly point"));
    app.screenshot("21-agreement").await;
    app.click("agreement-read").await;
    let pad = app
        .client
        .wait()
        .for_element(fantoccini::Locator::Css("#signature-pad"))
        .await
        .expect("the signature pad");
    let sign_disabled = async || {
        app.client
            .find(fantoccini::Locator::Css("#signature-sign"))
            .await
            .expect("sign")
            .prop("disabled")
            .await
            .expect("prop")
    };
    assert_eq!(
        sign_disabled().await.as_deref(),
        Some("true"),
        "blank: no signing"
    );
    let stroke = |id: &str| {
        let at = |x: f64, y: f64| PointerAction::MoveToElement {
            element: pad.clone(),
            duration: Some(Duration::from_millis(60)),
            x,
            y,
        };
        MouseActions::new(id.to_owned())
            .then(at(-180.0, 10.0))
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            })
            .then(at(-90.0, -35.0))
            .then(at(0.0, 30.0))
            .then(at(90.0, -25.0))
            .then(at(170.0, 15.0))
            .then(PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            })
    };
    app.client
        .perform_actions(stroke("finger"))
        .await
        .expect("draw");
    assert_eq!(
        sign_disabled().await.as_deref(),
        Some("false"),
        "drawn: sign"
    );
    app.click("signature-clear").await;
    assert_eq!(sign_disabled().await.as_deref(), Some("true"), "cleared");
    app.client
        .perform_actions(stroke("finger-2"))
        .await
        .expect("draw again");
    let signature = data_url_bytes(
        app,
        "return document.getElementById('signature-pad').toDataURL('image/png');",
    )
    .await;
    app.screenshot("22-signature").await;
    app.click("signature-sign").await;
    app.wait("screen-photo").await;
    vestibule_tests::wait_until("the camera shows", Duration::from_secs(20), async || {
        let ready = app
            .client
            .execute(
                "const v = document.getElementById('camera-video');
                 const b = document.getElementById('camera-take');
                 return !!v && v.videoWidth > 0 && !!b && !b.disabled;",
                vec![],
            )
            .await
            .ok()?;
        (ready == json!(true)).then_some(())
    })
    .await;
    app.screenshot("23-camera").await;
    tap("#camera-take".to_owned()).await;
    app.wait("photo-preview").await;
    tap("#camera-retake".to_owned()).await;
    vestibule_tests::wait_until("the camera again", Duration::from_secs(20), async || {
        let b = app
            .client
            .find(fantoccini::Locator::Css("#camera-take"))
            .await
            .ok()?;
        (b.prop("disabled").await.ok()?.as_deref() == Some("false")).then_some(())
    })
    .await;
    tap("#camera-take".to_owned()).await;
    app.wait("photo-preview").await;
    let photo = data_url_bytes(
        app,
        "return document.querySelector('[data-testid=photo-preview]').src;",
    )
    .await;
    app.screenshot("24-photo").await;
    tap("#camera-use".to_owned()).await;
    app.wait("screen-confirmation").await;
    let fullest = began.elapsed();
    app.screenshot("25-typed-confirmation").await;
    app.click("confirmation-done").await;
    app.wait("screen-welcome").await;
    println!(
        "kiosk: visitor types, first tap to confirmation: simplest (6 taps; name, email and 4 letters \
         typed) {:.1} s; fullest (14 taps and 2 strokes: a refused blank answer, a cleared signature and a \
         retaken photo included; 3 fields, an answer and 4 letters typed) {:.1} s",
        simplest.as_secs_f64(),
        fullest.as_secs_f64()
    );

    // The server got the answers, a non-blank signature (in the PDF) and the photo.
    let log = api
        .get("/api/v1/visits?limit=1", &t.admin)
        .await
        .expect(200);
    let visit = log["items"][0]["id"].as_str().expect("visit").to_owned();
    let record = api
        .get(&format!("/api/v1/visits/{visit}/record"), &t.admin)
        .await
        .expect(200);
    assert_eq!(record["answers"][0]["answer"], TYPED_ANSWER, "{record}");
    assert_eq!(record["answers"][1]["answer"], "South");
    assert_eq!(record["photo"], true);
    assert_eq!(record["agreements"][0]["version"], 1);
    // The receptionist in override mode sees Carla's photo, from memory.
    app.click("override-corner").await;
    app.type_in("override-email", &t.receptionist).await;
    app.type_in("override-pin", PIN).await;
    app.click("override-submit").await;
    app.wait("override-row").await;
    let shown = app
        .client
        .execute(
            "const row = [...document.querySelectorAll('[data-testid=override-row]')]
               .find(r => r.textContent.includes('Carla Contractor'));
             row.querySelector('[data-testid=override-photo]').click();
             return true;",
            vec![],
        )
        .await
        .expect("open the photo");
    assert_eq!(shown, json!(true));
    app.wait("override-photo-img").await;
    // Decoded and painted (two animation frames) before it is measured and photographed.
    let width = app
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const i = document.querySelector('[data-testid=override-photo-img]');
             i.decode().then(() => requestAnimationFrame(() => requestAnimationFrame(
               () => done(i.naturalWidth))), () => done(0));",
            vec![],
        )
        .await
        .expect("the photo decodes");
    assert_eq!(width, json!(640), "the photo as the server stored it");
    app.screenshot("26-override-photo").await;
    app.click("override-exit").await;
    app.wait("screen-welcome").await;

    for id in [&simple["id"], &full["id"]] {
        let id = id.as_str().expect("id");
        let r = api
            .send(
                reqwest::Method::DELETE,
                &format!("/api/v1/visitor-types/{id}"),
                &t.admin,
                None,
                &[],
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.text);
    }
    TypedWalk {
        images: vec![
            ("photo", middle_run(&photo)),
            ("signature", middle_run(&signature)),
        ],
    }
}
