//! The camera of the kiosk's webview (a visitor's photo, an invitation's QR code). The webview
//! may use the camera, and nothing else of the kind (no microphone, no screen), on the kiosk's
//! own pages only. On Linux, WebKitGTK ships with media streams turned off and denies every
//! permission request its embedder leaves unanswered: the kiosk turns them on. With
//! `VESTIBULE_KIOSK_MOCK_CAMERA=1` (debug builds only), WebKitGTK's mock capture devices stand in
//! for the camera, so that an end-to-end test takes a real frame through the real camera code.

use tauri::{
    Runtime, Webview, WebviewWindow,
    webview::{PermissionKind, PermissionResponse},
};

/// The variable that swaps the camera for WebKitGTK's mock one.
pub const MOCK_CAMERA: &str = "VESTIBULE_KIOSK_MOCK_CAMERA";

/// Whether this (debug) build should use the mock camera.
#[cfg(target_os = "linux")]
fn mock_requested() -> bool {
    cfg!(debug_assertions) && std::env::var(MOCK_CAMERA).as_deref() == Ok("1")
}

/// Answers the webview's permission requests: the camera alone (a request for the microphone
/// too is denied whole), and only for the kiosk's own pages.
pub fn permission<R: Runtime>(webview: Webview<R>, kind: PermissionKind) -> PermissionResponse {
    let own_page = webview.url().is_ok_and(|u| crate::allowed(&u));
    if kind == PermissionKind::Camera && own_page {
        PermissionResponse::Allow
    } else {
        tracing::debug!(?kind, own_page, "a webview permission request was denied");
        PermissionResponse::Deny
    }
}

/// Turns media streams on in the window's WebKitGTK webview (and the mock camera when asked).
#[cfg(target_os = "linux")]
pub fn enable<R: Runtime>(window: &WebviewWindow<R>) -> tauri::Result<()> {
    use webkit2gtk::{SettingsExt, WebViewExt};
    let mock = mock_requested();
    window.with_webview(move |platform| {
        let webview = platform.inner();
        if let Some(settings) = WebViewExt::settings(&webview) {
            settings.set_enable_media_stream(true);
            settings.set_enable_mock_capture_devices(mock);
            if mock {
                tracing::warn!("the camera is WebKitGTK's mock camera ({MOCK_CAMERA})");
            }
        }
    })
}

/// Other platforms' webviews have media streams on; their permission requests come to
/// [`permission`].
#[cfg(not(target_os = "linux"))]
pub fn enable<R: Runtime>(_window: &WebviewWindow<R>) -> tauri::Result<()> {
    Ok(())
}
