//! What check-ins made during an outage cost the kiosk, measured with the kiosk's own code
//! (`Offline::seal`, under the kiosk's allocator, which overwrites freed blocks): the time to seal
//! one, and while `N` (the first argument, 500 by default) wait, what the queue holds on the heap
//! (`Offline::held_bytes`) and how much the process's resident memory grew. Prints one JSON
//! object. `cargo xtask bench --offline` runs it in a release build.

use std::time::Instant;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use kiosk::offline::Offline;
use vestibule_shared::dto::offline::OfflineKey;

#[global_allocator]
static ALLOC: zeroizing_alloc::ZeroAlloc<std::alloc::System> =
    zeroizing_alloc::ZeroAlloc(std::alloc::System);

/// This process's resident memory, in bytes (`/proc/self/statm`, 4 KiB pages).
fn resident() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0)
        * 4096
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(500);
    if n == 0 {
        return Err("seal at least one check-in".into());
    }
    let mut offline = Offline::default();
    offline.set_key(OfflineKey {
        kid: uuid::Uuid::now_v7(),
        // Any 32 bytes are an X25519 public key; sealing costs the same.
        public_key: URL_SAFE_NO_PAD.encode([9u8; 32]),
        kiosk_id: uuid::Uuid::now_v7(),
        badge_prefix: "Z00".into(),
        window_hours: 72,
    })?;
    let host = uuid::Uuid::now_v7();
    let before = resident();
    let mut micros = Vec::with_capacity(n);
    for i in 0..n {
        // The check-in as the kiosk sends it, built outside the timing (the form made it).
        let body = serde_json::json!({
            "visitor": {"name": format!("Offline Visitor{i}"), "email": format!("offline{i}@example.com"),
                "company": "Load Testing Ltd", "phone": "+33 1 23 45 67 89"},
            "host_id": host, "purpose": "Benchmark",
        });
        let key = uuid::Uuid::now_v7().to_string();
        let began = Instant::now();
        offline.seal(n, &body, &key, "Offline Visitor")?;
        micros.push(began.elapsed().as_secs_f64() * 1e6);
    }
    let grown = resident().saturating_sub(before);
    micros.sort_by(f64::total_cmp);
    println!(
        "{}",
        serde_json::json!({
            "waiting": offline.waiting(),
            "seal_us_median": micros[micros.len() / 2],
            "seal_us_p99": micros[(micros.len() * 99 / 100).min(micros.len() - 1)],
            "held_bytes": offline.held_bytes(),
            "held_bytes_per_waiting": offline.held_bytes() as f64 / n as f64,
            "resident_growth_bytes": grown,
        })
    );
    Ok(())
}
