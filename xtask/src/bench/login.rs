//! `cargo xtask bench --login-timing`: does a failed login take longer for a real account than for
//! an unknown email or an unknown tenant? Each server binary (the release build, or each
//! `--server-bin label=path`) runs on each engine with a tenant of 15 accounts; wrong-password
//! logins of the three kinds are sent interleaved, in a shuffled order each round, over one
//! kept-alive connection, four per identity (below the lockout of five). Prints each kind's median
//! and quartiles, the differences of the medians, and the Mann–Whitney z of each comparison
//! (|z| > 1.96: a difference at the 5 % level). Writes `bench/login-timing.json`.

use std::{path::Path, time::Instant};

use anyhow::{Context, ensure};
use serde_json::{Value, json};

use super::server::{BenchServer, PASSWORD, PgDatabase};

/// Identities per kind; each gets four attempts.
const IDENTITIES: usize = 15;
const KINDS: [&str; 3] = ["real account", "unknown email", "unknown tenant"];

/// Measures every binary on SQLite (and PostgreSQL unless `sqlite_only`).
pub async fn measure(
    bins: &[(String, std::path::PathBuf)],
    sqlite_only: bool,
) -> anyhow::Result<Value> {
    let mut out = Vec::new();
    for (label, bin) in bins {
        let engines: &[&str] = if sqlite_only {
            &["sqlite"]
        } else {
            &["sqlite", "postgres"]
        };
        for engine in engines {
            let db = match *engine {
                "postgres" => Some(PgDatabase::create().await?),
                _ => None,
            };
            let r = one(bin, db.as_ref().map(|d| d.url.as_str()), label, engine).await;
            if let Some(db) = db {
                db.drop_it().await;
            }
            out.push(r.with_context(|| format!("{label} on {engine}"))?);
        }
    }
    Ok(json!({"when": chrono::Utc::now().to_rfc3339(), "runs": out}))
}

async fn one(bin: &Path, pg: Option<&str>, label: &str, engine: &str) -> anyhow::Result<Value> {
    let dir = std::env::temp_dir().join(format!(
        "vestibule-login-{}-{label}-{engine}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let mut server = BenchServer::start(bin, &dir, pg, &[]).await?;
    let (op, tid) = server.tenant().await?;
    for i in 0..IDENTITIES {
        server
            .create_user(&op, &tid, &format!("real{i}@bench.test"), PASSWORD)
            .await?;
    }
    let c = server.client()?;
    let url = format!("{}/api/v1/auth/login", server.base);
    let attempt = |tenant: String, email: String| {
        let (c, url) = (c.clone(), url.clone());
        async move {
            let body = json!({"tenant": tenant, "email": email, "password": "wrong password!!"});
            let started = Instant::now();
            let status = c.post(&url).json(&body).send().await?.status();
            let took = started.elapsed().as_secs_f64() * 1000.0;
            ensure!(status == 401, "a wrong password got {status}");
            anyhow::Ok(took)
        }
    };
    // Warm-up: connections, caches, the dummy hash.
    for i in 0..5 {
        attempt("warm".into(), format!("warm{i}@bench.test")).await?;
    }
    let mut times: [Vec<f64>; 3] = Default::default();
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    for round in 0..IDENTITIES * 4 {
        let id = round / 4;
        let mut order = [0usize, 1, 2];
        for i in (1..3).rev() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            order.swap(i, (rng % (i as u64 + 1)) as usize);
        }
        for kind in order {
            let (tenant, email) = match kind {
                0 => ("bench".to_owned(), format!("real{id}@bench.test")),
                1 => ("bench".to_owned(), format!("nobody{id}@bench.test")),
                _ => (format!("nowhere{id}"), format!("real{id}@bench.test")),
            };
            times[kind].push(attempt(tenant, email).await?);
        }
    }
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
    let summary = |t: &[f64]| json!({"median_ms": quantile(t, 0.5), "p25_ms": quantile(t, 0.25), "p75_ms": quantile(t, 0.75), "n": t.len()});
    let real_minus = |other: usize| {
        json!({
            "median_difference_ms": quantile(&times[0], 0.5) - quantile(&times[other], 0.5),
            "mann_whitney_z": mann_whitney_z(&times[0], &times[other]),
        })
    };
    let r = json!({
        "binary": label,
        "engine": engine,
        "kinds": {KINDS[0]: summary(&times[0]), KINDS[1]: summary(&times[1]), KINDS[2]: summary(&times[2])},
        "real_minus_unknown_email": real_minus(1),
        "real_minus_unknown_tenant": real_minus(2),
    });
    print_run(&r);
    Ok(r)
}

fn print_run(r: &Value) {
    println!("{} on {}:", r["binary"], r["engine"]);
    for kind in KINDS {
        let k = &r["kinds"][kind];
        println!(
            "  {kind:<15} median {:>7.2} ms  (quartiles {:.2}–{:.2}, n = {})",
            k["median_ms"].as_f64().unwrap_or_default(),
            k["p25_ms"].as_f64().unwrap_or_default(),
            k["p75_ms"].as_f64().unwrap_or_default(),
            k["n"]
        );
    }
    for (name, key) in [
        ("unknown email", "real_minus_unknown_email"),
        ("unknown tenant", "real_minus_unknown_tenant"),
    ] {
        println!(
            "  real account − {name:<15} {:>+6.2} ms  (Mann–Whitney z {:+.2})",
            r[key]["median_difference_ms"].as_f64().unwrap_or_default(),
            r[key]["mann_whitney_z"].as_f64().unwrap_or_default()
        );
    }
}

/// The `q` quantile (linear between the nearest ranks).
fn quantile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// The normal approximation of the Mann–Whitney U statistic of `a` against `b` (ties ranked by
/// their average): positive when `a` tends to be larger.
fn mann_whitney_z(a: &[f64], b: &[f64]) -> f64 {
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|&x| (x, true))
        .chain(b.iter().map(|&x| (x, false)))
        .collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut rank_sum_a = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_a += rank * all[i..=j].iter().filter(|x| x.1).count() as f64;
        i = j + 1;
    }
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let u = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    (u - n1 * n2 / 2.0) / (n1 * n2 * (n1 + n2 + 1.0) / 12.0).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics() {
        assert_eq!(quantile(&[3.0, 1.0, 2.0], 0.5), 2.0);
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        let a: Vec<f64> = (0..30).map(f64::from).collect();
        let b: Vec<f64> = (0..30).map(|x| f64::from(x) + 0.5).collect();
        assert!(mann_whitney_z(&a, &a).abs() < 1e-9);
        let far: Vec<f64> = (100..130).map(f64::from).collect();
        assert!(mann_whitney_z(&far, &a) > 5.0);
        assert!(mann_whitney_z(&a, &b) < 0.0);
    }
}
