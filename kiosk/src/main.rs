//! The `vestibule-kiosk` binary: everything lives in the library (mobile builds share it).

fn main() {
    kiosk::run();
}
