//! Generates the Tauri context and one permission per kiosk command (see `capabilities/`).

const COMMANDS: &[&str] = &[
    "kiosk_status",
    "enroll",
    "search_hosts",
    "check_in",
    "lookup_invite",
    "redeem_invite",
    "lookup_pass",
    "redeem_pass",
    "check_out",
    "wipe",
    "override_login",
    "override_visits",
    "override_expected",
    "override_check_in_invited",
    "override_check_out",
    "override_check_in",
    "override_correct",
    "override_exit",
    "override_photo",
    "offline_status",
    "quit",
    "visitor_types",
    "visit_state",
    "print_badge",
    "override_print_badge",
    "override_start_evacuation",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script");
}
