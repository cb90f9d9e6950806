//! Badges and label printers over the real binary, on both engines. A visit's badge in every
//! template is a PDF whose text `pdftotext` reads (the visitor's name) and whose QR code `zbarimg`
//! decodes to the badge code, with no word past the label's edge, for names of 1, 40 and 120
//! characters, Arabic, Chinese and emoji. A reprint goes to the site's printers in order: the
//! first is switched off, so the fallback, CUPS' IPP Everywhere printer, receives the PDF. A
//! Brother QL's raw socket receives a raster job that the `brother_ql` Python package turns back
//! into an image whose QR code decodes to the badge code. The logo is validated; the kiosk's
//! badge route serves only its own fresh visits. Measured: a kiosk check-in until CUPS has the
//! job (median over 20).

use std::{path::Path, process::Command, time::Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use vestibule_tests::{
    Api, Auth, Engine, Tenant, TestServer,
    api::visitor,
    printer::{IppPrinter, RawPrinter, closed_port},
    pytools::python_tool,
};

both_engines!(badges_print_on_real_printers);

const TEMPLATES: [&str; 3] = ["brother-62x100", "dymo-30256", "a6"];

/// A binary answer and its status.
pub(crate) async fn get_bytes(api: &Api, path: &str, auth: &Auth) -> (u16, Vec<u8>) {
    let Auth::Bearer(token) = auth else {
        panic!("a bearer credential")
    };
    let r = api
        .client
        .get(format!("{}{path}", api.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("send");
    (r.status().as_u16(), r.bytes().await.expect("body").to_vec())
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("the tool runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What `zbarimg` reads in an image file.
fn qr_of(png: &Path) -> String {
    run(Command::new("zbarimg").args(["--raw", "-q"]).arg(png))
        .trim()
        .to_owned()
}

/// Checks a badge PDF with poppler and zbar: the text has `name` (when `readable`), every word
/// lies on the page, and the page's QR code is `code`.
pub(crate) fn check_pdf(pdf: &[u8], name: &str, code: &str, readable: bool, what: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("badge.pdf");
    std::fs::write(&file, pdf).expect("write");
    if readable {
        let text = run(Command::new("pdftotext").arg(&file).arg("-"));
        let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for word in name.split_whitespace() {
            assert!(flat.contains(word), "{what}: {word:?} not in {flat:?}");
        }
    }
    let html = run(Command::new("pdftotext").arg("-bbox").arg(&file).arg("-"));
    let attr = |tag: &str, key: &str| -> f64 {
        let at = tag.find(&format!("{key}=\"")).expect(key) + key.len() + 2;
        tag[at..]
            .split('"')
            .next()
            .and_then(|v| v.parse().ok())
            .expect("a number")
    };
    let page = html.split("<page ").nth(1).expect("a page");
    let (w, h) = (attr(page, "width"), attr(page, "height"));
    let words: Vec<&str> = html.split("<word ").skip(1).collect();
    assert!(!words.is_empty(), "{what}: no words");
    for word in words {
        let (x0, y0, x1, y1) = (
            attr(word, "xMin"),
            attr(word, "yMin"),
            attr(word, "xMax"),
            attr(word, "yMax"),
        );
        assert!(
            x0 >= 0.0 && y0 >= 0.0 && x1 <= w && y1 <= h,
            "{what}: a word at ({x0}, {y0})–({x1}, {y1}) leaves the {w}×{h} page: {word}"
        );
    }
    run(Command::new("pdftoppm")
        .args(["-r", "300", "-png", "-singlefile"])
        .arg(&file)
        .arg(dir.path().join("page")));
    assert_eq!(
        qr_of(&dir.path().join("page.png")),
        code,
        "{what}: the QR code"
    );
}

async fn badge_code(api: &Api, t: &Tenant, visit: &str) -> String {
    api.get(&format!("/api/v1/visits/{visit}"), &t.admin)
        .await
        .expect(200)["badge_code"]
        .as_str()
        .expect("badge code")
        .to_owned()
}

async fn add_printer(api: &Api, t: &Tenant, body: Value) -> String {
    api.post(
        &format!("/api/v1/sites/{}/printers", t.site),
        &t.admin,
        body,
    )
    .await
    .expect(201)["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn badges_print_on_real_printers(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "badges").await;

    // Every template, every kind of name: on the page, readable, the QR code right.
    let long40 = "Maximiliane Theodora Wittgenstein-Krauss";
    let long120 = "Hubert Blaine Wolfeschlegelsteinhausenbergerdorff Senior of Bergen upon the Northern Marches and the Western Isles also!";
    assert_eq!((long40.chars().count(), long120.chars().count()), (40, 120));
    let names: &[(&str, bool)] = &[
        ("Q", true),
        (long40, true),
        (long120, false),
        ("محمد عبد الرحمن", false),
        ("欧阳娜娜", true),
        ("Zoë 🙂 Smith", false),
    ];
    let kinds = if engine == Engine::Sqlite {
        names
    } else {
        &names[..2]
    };
    for (i, (name, readable)) in kinds.iter().enumerate() {
        let visit = t.check_in(&api, &format!("name-{i}"), name).await;
        let code = badge_code(&api, &t, &visit).await;
        for template in TEMPLATES {
            let (status, pdf) = get_bytes(
                &api,
                &format!("/api/v1/visits/{visit}/badge.pdf?template={template}"),
                &t.admin,
            )
            .await;
            assert_eq!(status, 200, "{template}");
            let what = format!("{template}, a name of {} characters", name.chars().count());
            check_pdf(&pdf, name, &code, *readable, &what);
        }
    }
    let r = api
        .get(
            "/api/v1/visits/00000000-0000-0000-0000-000000000000/badge.pdf?template=letter",
            &t.admin,
        )
        .await;
    assert_eq!(r.status, 422, "an unknown template: {}", r.text);

    // Printers: the desk's is switched off; the fallback is CUPS' IPP printer.
    let ipp = IppPrinter::start().await;
    let off = format!("ipp://127.0.0.1:{}/ipp/print", closed_port());
    for bad in [
        json!({"name": "Web", "url": "http://127.0.0.1/print"}),
        json!({"name": "File", "url": "file:///etc/passwd"}),
        json!({"name": "QL", "url": "socket://127.0.0.1:9100", "template": "a6"}),
    ] {
        let r = api
            .post(
                &format!("/api/v1/sites/{}/printers", t.site),
                &t.admin,
                bad.clone(),
            )
            .await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
    }
    let desk = add_printer(
        &api,
        &t,
        json!({"name": "Desk", "url": off, "template": "brother-62x100"}),
    )
    .await;
    let back = add_printer(
        &api,
        &t,
        json!({"name": "Back office", "url": ipp.url, "template": "a6", "fallback": true}),
    )
    .await;
    let listed = api
        .get("/api/v1/kiosk/printers", &t.device)
        .await
        .expect(200);
    assert_eq!(
        (listed[0]["id"].as_str(), listed[1]["id"].as_str()),
        (Some(desk.as_str()), Some(back.as_str()))
    );

    let r = api
        .post(
            &format!("/api/v1/printers/{desk}/test"),
            &t.admin,
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(r["printed"], false, "the desk's printer is off: {r}");
    let visit = t.check_in(&api, "print-1", "Grace Hopper").await;
    let code = badge_code(&api, &t, &visit).await;
    let printed = api
        .post(
            &format!("/api/v1/visits/{visit}/print"),
            &t.admin,
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(printed["printer_id"], back.as_str(), "the fallback printed");
    let jobs = ipp.wait_for_jobs(1).await;
    check_pdf(
        &std::fs::read(&jobs[0]).expect("the job"),
        "Grace Hopper",
        &code,
        true,
        "CUPS' job",
    );

    // The kiosk: its own fresh visit, for its site's printer; nobody else's.
    let path = format!("/api/v1/kiosk/visits/{visit}/badge?printer_id={back}");
    let (status, pdf) = get_bytes(&api, &path, &t.device).await;
    assert_eq!(status, 200);
    assert!(pdf.starts_with(b"%PDF-"));
    let other = Tenant::setup(&api, &server.operator_token, "others").await;
    let (status, _) = get_bytes(&api, &path, &other.device).await;
    assert_eq!(status, 404, "another tenant's kiosk");

    // A Brother QL on its raw port: the job decodes back to an image with the badge's QR code.
    let ql = RawPrinter::start().await;
    let label = add_printer(&api, &t, json!({"name": "Label", "url": ql.url})).await;
    api.post(
        &format!("/api/v1/visits/{visit}/print"),
        &t.admin,
        json!({"printer_id": label}),
    )
    .await
    .expect(200);
    let job = ql.wait_for_jobs(1).await.remove(0);
    if let Some(brother_ql) = python_tool("brother_ql") {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("job.bin"), &job).expect("write");
        run(Command::new(brother_ql)
            .current_dir(dir.path())
            .args(["analyze", "job.bin"]));
        assert_eq!(
            qr_of(&dir.path().join("label0001.png")),
            code,
            "the QL job's QR code"
        );
    }

    // The logo: a PNG is re-encoded, an SVG loses its script, what is no image is refused.
    let png = {
        let img = image::RgbaImage::from_pixel(120, 40, image::Rgba([20, 60, 200, 255]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgba8(img)
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .expect("encode");
        out
    };
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="30" height="10"><script>alert(1)</script><rect width="30" height="10" fill="navy"/></svg>"#;
    api.put(
        "/api/v1/settings/logo",
        &t.admin,
        json!({"content_type": "image/svg+xml", "data": b64(svg)}),
    )
    .await
    .expect(204);
    let (_, kept) = get_bytes(&api, "/api/v1/settings/logo", &t.admin).await;
    assert!(!String::from_utf8_lossy(&kept).contains("script"));
    api.put(
        "/api/v1/settings/logo",
        &t.admin,
        json!({"content_type": "image/png", "data": b64(&png)}),
    )
    .await
    .expect(204);
    let r = api
        .put(
            "/api/v1/settings/logo",
            &t.admin,
            json!({"content_type": "image/png", "data": b64(b"not an image")}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    for template in TEMPLATES {
        let (status, preview) = get_bytes(
            &api,
            &format!("/api/v1/badges/preview.png?template={template}"),
            &t.admin,
        )
        .await;
        assert_eq!(status, 200);
        assert!(preview.starts_with(b"\x89PNG"));
    }
    let (_, pdf) = get_bytes(&api, &format!("/api/v1/visits/{visit}/badge.pdf"), &t.admin).await;
    check_pdf(&pdf, "Grace Hopper", &code, true, "a badge with the logo");

    // Measured: a kiosk's check-in until CUPS holds the job, the way the kiosk prints.
    let before = ipp.jobs().len();
    let back_url = vestibule_shared::types::PrinterUrl::parse(&ipp.url).expect("url");
    let mut times = Vec::new();
    for i in 0..20 {
        let started = Instant::now();
        let r = api
            .check_in(
                &t.device,
                &format!("timed-{i}"),
                &visitor(&t.host, "Timed Visitor", "timed@example.com"),
            )
            .await;
        let visit = r.expect(201)["visit_id"]
            .as_str()
            .expect("visit")
            .to_owned();
        let (status, pdf) = get_bytes(
            &api,
            &format!("/api/v1/kiosk/visits/{visit}/badge?printer_id={back}"),
            &t.device,
        )
        .await;
        assert_eq!(status, 200);
        vestibule_print::send(&back_url, zeroize::Zeroizing::new(pdf))
            .await
            .expect("printed");
        ipp.wait_for_jobs(before + i + 1).await;
        times.push(started.elapsed());
    }
    times.sort();
    eprintln!(
        "badges ({engine:?}): check-in → CUPS has the job: median {:?}, min {:?}, max {:?} over 20",
        times[10], times[0], times[19]
    );
}
