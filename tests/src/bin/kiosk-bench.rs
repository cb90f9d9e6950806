//! The kiosk's release figures, for `cargo xtask bench --kiosk`: the kiosk that
//! `VESTIBULE_KIOSK_BIN` names (a release build with the `webdriver` feature) against the server
//! `VESTIBULE_SERVER_BIN` names, driven through tauri-driver as the end-to-end test drives it.
//! It prints one JSON line: cold starts to the first screen, the time from tapping "Check in" to
//! the confirmation over 50 walk-ins (p50, p95), and the resident memory of the kiosk and its
//! WebKit processes after them. WebDriver's round trips are inside every figure.

use std::time::{Duration, Instant};

use serde_json::json;
use vestibule_tests::{
    Engine, Tenant, TestServer,
    kiosk::{KioskApp, KioskEnv, kiosk_rss_kb},
};

const CHECK_INS: usize = 50;

/// One walk-in through the kiosk's screens; returns the time from the tap to the confirmation.
async fn walk_in(app: &KioskApp, name: &str) -> Duration {
    app.click("start-checkin").await;
    app.wait("screen-details").await;
    app.type_in("name", name).await;
    app.type_in("email", "bench@example.com").await;
    app.click("details-next").await;
    app.wait("screen-host").await;
    app.type_in("host-search", "Harr").await;
    app.wait("host-option").await;
    app.click("host-option").await;
    app.wait("screen-purpose").await;
    app.type_in("purpose", "Benchmark").await;
    app.click("purpose-next").await;
    app.wait("screen-consent").await;
    app.click("consent-agree").await;
    let tapped = Instant::now();
    app.click("consent-submit").await;
    app.wait("screen-confirmation").await;
    let took = tapped.elapsed();
    app.click("confirmation-done").await;
    app.wait("screen-welcome").await;
    took
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let server = TestServer::start(Engine::Sqlite).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "bench").await;
    let (_, code) = api.create_kiosk(&t.admin, &t.site).await;
    let pin = server.command(&["tls-pin"]).await.trim().to_owned();
    let env = KioskEnv::new().await;
    let cert = server.data_dir.path().join("tls/cert.pem");
    env.configure(json!({ "ca_file": cert, "kiosk_mode": false }));
    let (app, first_start) = env.launch().await;
    app.wait("screen-setup").await;
    app.type_in("setup-urls", &server.base()).await;
    app.type_in("setup-pins", &pin).await;
    app.type_in("setup-code", &code).await;
    app.click("setup-submit").await;
    app.wait("screen-welcome").await;
    app.close().await;
    let mut starts = vec![ms(first_start)];
    let mut app: Option<KioskApp> = None;
    for _ in 0..3 {
        if let Some(a) = app.take() {
            a.close().await;
        }
        let (a, took) = env.launch().await;
        a.wait("screen-welcome").await;
        starts.push(ms(took));
        app = Some(a);
    }
    let app = app.expect("a running kiosk");
    let mut taps = Vec::with_capacity(CHECK_INS);
    for i in 0..CHECK_INS {
        taps.push(walk_in(&app, &format!("Bench Visitor {i}")).await);
    }
    let (rss_kb, parts) = kiosk_rss_kb();
    app.close().await;
    taps.sort();
    let at = |p: f64| ms(taps[((taps.len() - 1) as f64 * p).round() as usize]);
    println!(
        "{}",
        json!({
            "cold_start_ms": {"first_run_to_setup": starts[0], "enrolled_to_welcome": &starts[1..]},
            "tap_to_confirmation_ms": {"p50": at(0.5), "p95": at(0.95), "max": at(1.0), "n": taps.len()},
            "rss_after_check_ins_kb": {"total": rss_kb, "check_ins": CHECK_INS,
                "processes": parts.iter().map(|(n, kb)| json!({"name": n, "kb": kb})).collect::<Vec<_>>()},
        })
    );
}
