//! The `vestibule-kiosk` binary: everything lives in the library (mobile builds share it). Its
//! allocator overwrites every block the kiosk's Rust code frees, so a visitor's details that passed
//! through a buffer on the way (a message from the webview, an HTTP body, a JSON value) do not
//! outlive it in freed memory.

#[global_allocator]
static ALLOC: zeroizing_alloc::ZeroAlloc<std::alloc::System> =
    zeroizing_alloc::ZeroAlloc(std::alloc::System);

fn main() {
    kiosk::run();
}
