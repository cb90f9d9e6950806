//! `cargo xtask bench --offline`: what check-ins made during an outage cost. On the kiosk's side,
//! measured by the kiosk's own code (`kiosk/examples/offline_cost.rs`, a release build under the
//! kiosk's allocator): the time to seal one and how much its heap grows while `--sealed` wait. On
//! the server's, the time to drain them once it answers again, each sealed here as the kiosk
//! seals (its suite, associated data and plaintext shape) and delivered in order with its
//! idempotency key on one kept-alive connection, as the kiosk does. Per engine; the visit count
//! checks that every one arrived once.

use std::{path::Path, process::Command, time::Instant};

use anyhow::Context;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{SubsecRound, Utc};
use hpke::{
    Deserializable, OpModeS, Serializable, aead::ChaCha20Poly1305, kdf::HkdfSha256,
    kem::X25519HkdfSha256,
};
use serde_json::{Value, json};
use vestibule_shared::dto::offline::{HPKE_INFO, ProvisionalCodes, associated_data};

use crate::workspace;

use super::server::{BenchServer, PgDatabase};

type Kem = X25519HkdfSha256;

/// Both engines' figures (PostgreSQL unless `sqlite_only`).
pub async fn measure(bin: &Path, sealed: usize, sqlite_only: bool) -> anyhow::Result<Value> {
    let kiosk = kiosk_side(sealed)?;
    println!(
        "  kiosk: seal {:.0} us median ({:.0} p99); {} waiting hold {:.1} KiB ({:.0} bytes each), resident memory +{:.1} KiB",
        kiosk["seal_us_median"].as_f64().unwrap_or_default(),
        kiosk["seal_us_p99"].as_f64().unwrap_or_default(),
        sealed,
        kiosk["held_bytes"].as_f64().unwrap_or_default() / 1024.0,
        kiosk["held_bytes_per_waiting"].as_f64().unwrap_or_default(),
        kiosk["resident_growth_bytes"].as_f64().unwrap_or_default() / 1024.0,
    );
    let mut engines = serde_json::Map::new();
    engines.insert(
        "sqlite".into(),
        engine(bin, None, sealed).await.context("SQLite")?,
    );
    if !sqlite_only {
        let db = PgDatabase::create().await?;
        let pg = engine(bin, Some(&db.url), sealed).await;
        db.drop_it().await;
        engines.insert("postgres".into(), pg.context("PostgreSQL")?);
    }
    Ok(json!({
        "when": chrono::Local::now().to_rfc3339(),
        "sealed": sealed,
        "kiosk": kiosk,
        "engines": engines,
    }))
}

/// Builds and runs the kiosk's own measurement (its UI first: the kiosk crate embeds it).
fn kiosk_side(sealed: usize) -> anyhow::Result<Value> {
    crate::ui::build()?;
    workspace::cargo(
        &[
            "build",
            "--release",
            "--package",
            "vestibule-kiosk",
            "--example",
            "offline_cost",
        ],
        &[],
    )?;
    let bin = workspace::target_dir()?.join("release/examples/offline_cost");
    let out = Command::new(&bin)
        .arg(sealed.to_string())
        .output()
        .with_context(|| format!("running {}", bin.display()))?;
    anyhow::ensure!(
        out.status.success(),
        "offline_cost failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).context("offline_cost's figures")
}

async fn engine(bin: &Path, pg: Option<&str>, count: usize) -> anyhow::Result<Value> {
    let name = if pg.is_some() { "postgres" } else { "sqlite" };
    let dir = std::env::temp_dir().join(format!("vestibule-offline-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let server = BenchServer::start(bin, &dir, pg, &[]).await?;
    let fleet = server.setup(1).await?;
    let kiosk = fleet.targets.first().context("a kiosk")?;
    let c = server.client()?;
    let key: Value = c
        .get(format!("{}/api/v1/kiosk/offline-key", server.base))
        .bearer_auth(&kiosk.device)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let field = |f: &str| {
        key[f]
            .as_str()
            .context("the offline key")
            .map(str::to_owned)
    };
    let public =
        <Kem as hpke::Kem>::PublicKey::from_bytes(&URL_SAFE_NO_PAD.decode(field("public_key")?)?)
            .map_err(|e| anyhow::anyhow!("the offline key: {e}"))?;
    let kiosk_id: uuid::Uuid = field("kiosk_id")?.parse()?;
    let mut codes = ProvisionalCodes::new(&field("badge_prefix")?, 0);

    // Sealed as the kiosk seals them (its own figures come from `kiosk_side`).
    let mut waiting = Vec::with_capacity(count);
    for i in 0..count {
        let check_in = json!({
            "visitor": {"name": format!("Offline Visitor {i}"), "email": format!("offline{i}@example.com"),
                "company": "Load Testing Ltd", "phone": "+33 1 23 45 67 89"},
            "host_id": kiosk.host_id, "purpose": "Benchmark"
        });
        let idempotency_key = uuid::Uuid::now_v7().to_string();
        let badge = codes.draw();
        let sealed_at = Utc::now().trunc_subsecs(3);
        let plain = serde_json::to_vec(&json!({"badge_code": badge, "check_in": check_in}))?;
        let aad = associated_data(kiosk_id, &idempotency_key, sealed_at);
        let (enc, ct) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem>(
            &OpModeS::Base,
            &public,
            HPKE_INFO,
            &plain,
            &aad,
        )
        .map_err(|e| anyhow::anyhow!("sealing: {e}"))?;
        let body = json!({
            "kid": field("kid")?, "enc": URL_SAFE_NO_PAD.encode(enc.to_bytes()),
            "ciphertext": URL_SAFE_NO_PAD.encode(&ct), "sealed_at": sealed_at,
        });
        waiting.push((idempotency_key, body));
    }

    // The server's side: the drain, in order, on one connection.
    let began = Instant::now();
    for (idempotency_key, body) in &waiting {
        let r = c
            .post(format!("{}/api/v1/kiosk/visits/sealed", server.base))
            .bearer_auth(&kiosk.device)
            .header("Idempotency-Key", idempotency_key)
            .json(body)
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "a delivery: {}", r.status());
    }
    let drain = began.elapsed().as_secs_f64();
    let log: Value = c
        .get(format!("{}/api/v1/visits?limit=1", server.base))
        .bearer_auth(&fleet.admin)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    anyhow::ensure!(
        log["total"].as_u64() == Some(count as u64),
        "{count} delivered, {} visits",
        log["total"]
    );
    println!(
        "  {name}: {count} drained in {drain:.2} s ({:.0}/s)",
        count as f64 / drain
    );
    Ok(json!({
        "drain_secs": drain,
        "drained_per_sec": count as f64 / drain,
    }))
}
