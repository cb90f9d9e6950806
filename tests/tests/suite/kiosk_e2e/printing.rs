//! Badge printing in the real app, within `kiosk_end_to_end`'s session: the site's first printer
//! is switched off and its fallback is CUPS' IPP Everywhere printer, so a walk-in's confirmation
//! says "printed" and CUPS holds a PDF with the visitor's name whose QR code is the badge code;
//! the receptionist reprints it from override mode (and starts an evacuation of the site there);
//! with every printer off the check-in still
//! succeeds and the screen sends the visitor to reception. Returns the byte runs of the badges
//! printed, for the disk scan.

use serde_json::json;
use vestibule_tests::{
    Api, Tenant,
    kiosk::KioskApp,
    printer::{IppPrinter, closed_port},
    world::PIN,
};

use super::{fill_visitor, submit};

pub(super) const PRINTED_NAME: &str = "Perpetua Printwell";

/// The `data-state` the element `testid` settles on once it is no longer `busy` (polled, like
/// every wait of these tests).
async fn settled_state(app: &KioskApp, testid: &str, busy: &str) -> String {
    vestibule_tests::wait_until(
        &format!("{testid} leaves {busy}"),
        std::time::Duration::from_secs(20),
        async || {
            let el = app.wait(testid).await;
            let state = el
                .attr("data-state")
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            (state != busy).then_some(state)
        },
    )
    .await
}

pub(super) async fn printing(api: &Api, t: &Tenant, app: &KioskApp) -> Vec<Vec<u8>> {
    let cups = IppPrinter::start().await;
    let printers = format!("/api/v1/sites/{}/printers", t.site);
    let off = format!("ipp://127.0.0.1:{}/ipp/print", closed_port());
    let desk = api
        .post(&printers, &t.admin, json!({"name": "Desk", "url": off}))
        .await
        .expect(201);
    let fallback = api
        .post(
            &printers,
            &t.admin,
            json!({"name": "Back office", "url": cups.url, "fallback": true}),
        )
        .await
        .expect(201);

    // A walk-in: confirmed at once, printed on the fallback.
    fill_visitor(app, PRINTED_NAME, false).await;
    let (badge, _) = submit(app).await;
    assert_eq!(
        settled_state(app, "print-status", "printing").await,
        "printed"
    );
    app.screenshot("27-printed").await;
    let job = cups.wait_for_jobs(1).await.remove(0);
    let pdf = std::fs::read(&job).expect("the job");
    super::super::badges::check_pdf(&pdf, PRINTED_NAME, &badge, true, "the kiosk's badge");
    app.click("confirmation-done").await;
    app.wait("screen-welcome").await;

    // The receptionist reprints it.
    app.click("override-corner").await;
    app.type_in("override-email", &t.receptionist).await;
    app.type_in("override-pin", PIN).await;
    app.click("override-submit").await;
    app.wait("override-row").await;
    let visit = api
        .get("/api/v1/visits?limit=1", &t.admin)
        .await
        .expect(200)["items"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.click(&format!("reprint-{visit}")).await;
    assert_eq!(
        settled_state(app, &format!("reprint-status-{visit}"), "printing").await,
        "printed"
    );
    cups.wait_for_jobs(2).await;

    // The receptionist starts an evacuation of the site from the tablet.
    app.click("evacuation-start").await;
    app.click("evacuation-confirm").await;
    assert_eq!(
        settled_state(app, "evacuation-status", "starting").await,
        "started"
    );
    app.screenshot("29-evacuation-started").await;
    let open = api.get("/api/v1/evacuations", &t.admin).await.expect(200);
    assert!(open[0]["closed_at"].is_null(), "{open}");
    let evacuation = open[0]["id"].as_str().expect("id");
    api.post(
        &format!("/api/v1/evacuations/{evacuation}/close"),
        &t.admin,
        json!({}),
    )
    .await
    .expect(200);
    app.click("override-exit").await;
    app.wait("screen-welcome").await;

    // Every printer off: the visitor is checked in all the same, and told to see reception.
    let id = |v: &serde_json::Value| v["id"].as_str().expect("id").to_owned();
    api.patch(
        &format!("/api/v1/printers/{}", id(&fallback)),
        &t.admin,
        json!({"url": off}),
    )
    .await
    .expect(200);
    fill_visitor(app, "Unprinted Visitor", false).await;
    let (badge, _) = submit(app).await;
    assert_eq!(badge.len(), 8);
    assert_eq!(
        settled_state(app, "print-status", "printing").await,
        "unavailable"
    );
    app.screenshot("28-printer-unavailable").await;
    app.click("confirmation-done").await;
    app.wait("screen-welcome").await;
    for p in [desk, fallback] {
        let path = format!("/api/v1/printers/{}", id(&p));
        let r = api
            .send(reqwest::Method::DELETE, &path, &t.admin, None, &[])
            .await;
        assert_eq!(r.status, 204);
    }
    vec![pdf[pdf.len() / 2..][..64].to_vec()]
}
