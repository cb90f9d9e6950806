//! The Vestibule reception kiosk, a Tauri 2 app that keeps nothing. Visitor data lives in memory
//! only (zeroized once sent), goes to the server over pinned TLS ([`pinning`]), and the only
//! secret kept is the device token, in the OS keychain ([`keychain`]). The webview runs
//! incognito with its data directory in a fresh temporary directory, removed at exit (and any
//! left by an earlier crash removed at start); it may call the kiosk's own commands
//! ([`commands`], [`visitor_types`]) and navigate nowhere else, and use the camera ([`camera`]).

pub mod arrivals;
pub mod camera;
pub mod client;
pub mod commands;
pub mod config;
pub mod contract;
pub mod error;
pub mod evacuation;
pub mod keychain;
pub mod offline;
pub mod override_mode;
pub mod pinning;
pub mod printing;
pub mod state;
#[cfg(test)]
mod typescript;
pub mod visitor_types;

use tauri::{Emitter, Manager, RunEvent, WebviewUrl, WebviewWindowBuilder};

const WEBVIEW_DIR_PREFIX: &str = "vestibule-kiosk-webview-";

/// Removes webview data directories an earlier run left behind (after a crash, say).
fn remove_stale_webview_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name()
            .to_string_lossy()
            .starts_with(WEBVIEW_DIR_PREFIX)
        {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Only the app's own pages: the `tauri://` scheme on Linux and macOS, `http(s)://tauri.localhost` elsewhere.
fn allowed(url: &tauri::Url) -> bool {
    url.scheme() == "tauri" || url.host_str() == Some("tauri.localhost")
}

/// Whether a WebDriver session drives this (debug) build. WebKitGTK gives an incognito
/// (ephemeral) web context no automation, so under test the webview keeps its data in the fresh
/// temporary directory only (removed at exit, and checked for leftovers by the end-to-end test).
/// Release builds are always incognito, but for the `webdriver` feature's, which only the
/// kiosk's benchmark builds (`cargo xtask bench --kiosk`) and nothing ships.
fn under_webdriver() -> bool {
    cfg!(any(debug_assertions, feature = "webdriver"))
        && std::env::var("TAURI_WEBVIEW_AUTOMATION").as_deref() == Ok("true")
}

/// Starts the kiosk.
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VESTIBULE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    remove_stale_webview_dirs();
    let webview_dir = tempfile::Builder::new()
        .prefix(WEBVIEW_DIR_PREFIX)
        .tempdir()
        .expect("a temporary directory for the webview");
    let webview_path = webview_dir.path().to_owned();
    let kiosk = state::Kiosk::load();
    let app = tauri::Builder::default()
        .manage(kiosk)
        .invoke_handler(tauri::generate_handler![
            commands::kiosk_status,
            commands::enroll,
            commands::search_hosts,
            commands::check_in,
            arrivals::lookup_invite,
            arrivals::redeem_invite,
            arrivals::lookup_pass,
            arrivals::redeem_pass,
            commands::check_out,
            commands::wipe,
            override_mode::override_login,
            override_mode::override_visits,
            override_mode::override_expected,
            override_mode::override_check_in_invited,
            override_mode::override_check_out,
            override_mode::override_check_in,
            override_mode::override_correct,
            override_mode::override_exit,
            override_mode::override_photo,
            commands::offline_status,
            commands::quit,
            visitor_types::visitor_types,
            visitor_types::visit_state,
            printing::print_badge,
            printing::override_print_badge,
            evacuation::override_start_evacuation,
        ])
        .setup(move |app| {
            let kiosk_mode = tauri::async_runtime::block_on(async {
                app.state::<state::Kiosk>().lock().await.config.kiosk_mode
            });
            let window =
                WebviewWindowBuilder::new(app, "main", WebviewUrl::App("index.html".into()))
                    .title("Vestibule")
                    .inner_size(1280.0, 800.0)
                    .fullscreen(kiosk_mode)
                    .incognito(!under_webdriver())
                    .data_directory(webview_path.clone())
                    .on_navigation(allowed)
                    .on_permission_request(camera::permission)
                    .build()?;
            camera::enable(&window)?;
            tauri::async_runtime::spawn(offline::keep_in_touch(app.handle().clone()));
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window would lose the check-ins waiting sealed: the UI asks to quit
            // from override mode instead (the `quit` command).
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                let kiosk = window.state::<state::Kiosk>();
                let waiting =
                    tauri::async_runtime::block_on(async { kiosk.lock().await.offline.waiting() });
                if waiting > 0 {
                    api.prevent_close();
                    let _ = window.emit("quit-refused", waiting);
                }
            }
        })
        .build(tauri::generate_context!())
        .expect("the kiosk app");
    let mut webview_dir = Some(webview_dir);
    app.run(move |_, event| {
        if let RunEvent::Exit = event
            && let Some(dir) = webview_dir.take()
        {
            let _ = dir.close();
        }
    });
}
