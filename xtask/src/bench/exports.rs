//! `cargo xtask bench --exports --server-bin a=PATH --server-bin b=PATH`: builds of the CSV
//! export side by side on one seeded SQLite tenant of `--visits` visits, to tell them apart on a
//! shared, noisy machine. Round after round (`--rounds`), each build in turn serves the same
//! database and one export is read alone to its end: its rows a second and the server's CPU per
//! row. Each build's median, and its ratio to the first build's, in every round alike; then one
//! export per build under `perf`, where its CPU goes (that run's rate is not a figure).

use std::path::{Path, PathBuf};

use anyhow::Context;
use reqwest::Client;
use serde_json::{Value, json};

use super::{
    export, profile, scale,
    server::{BenchServer, PASSWORD},
};

/// The figures of every build, the first build's the baseline.
pub async fn measure(
    bins: &[(String, PathBuf)],
    visits: usize,
    rounds: usize,
) -> anyhow::Result<Value> {
    let dir = std::env::temp_dir().join(format!("vestibule-exports-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let result = side_by_side(bins, visits, rounds, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn side_by_side(
    bins: &[(String, PathBuf)],
    visits: usize,
    rounds: usize,
    dir: &Path,
) -> anyhow::Result<Value> {
    let first = &bins.first().context("a server binary")?.1;
    let storage = ["--data-dir".to_owned(), dir.display().to_string()];
    let (seed_secs, _, stdout) = scale::seed(first, &storage, visits, dir).await?;
    println!("seeded {visits} visits in {seed_secs:.0} s");
    let (slug, tid) = scale::seeded_tenant(&stdout)?;
    let email = format!("admin@{slug}.test");
    {
        let server = BenchServer::start(first, dir, None, &[]).await?;
        let op = server.operator_token()?;
        server.create_user(&op, tid, &email, PASSWORD).await?;
    }
    // Each build's exports, (rows a second, µs of CPU a row), round after round.
    let mut runs = vec![Vec::new(); bins.len()];
    for round in 1..=rounds {
        for ((label, bin), runs) in bins.iter().zip(&mut runs) {
            let (server, c, admin) = serve(bin, dir, slug, &email).await?;
            let (e, us) = export::timed(&c, &server.base, &admin, server.pid()).await?;
            println!(
                "  round {round}, {label}: {} rows, {:.0} rows/s, {us:.1} µs of CPU a row",
                e.rows,
                e.rate()
            );
            runs.push((e.rate(), us));
        }
    }
    let medians: Vec<(f64, f64)> = runs
        .iter()
        .map(|r| {
            let (mut rates, mut us): (Vec<f64>, Vec<f64>) = r.iter().copied().unzip();
            (
                scale::percentile(&mut rates, 50),
                scale::percentile(&mut us, 50),
            )
        })
        .collect();
    let (base_rate, base_us) = medians[0];
    let mut builds = Vec::new();
    for (((label, bin), &(rate, us)), runs) in bins.iter().zip(&medians).zip(&runs) {
        let (server, c, admin) = serve(bin, dir, slug, &email).await?;
        // `perf` samples the export's first [`scale::PROFILED`] only: on a million visits it once
        // kept both cores busy itself, and the export crawled.
        let recording = profile::Recording::start(dir.join(format!("{label}.perf")), server.pid())?;
        let mut reading = Box::pin(export::export(&c, &server.base, &admin, server.pid()));
        let early = tokio::time::timeout(scale::PROFILED, &mut reading).await;
        let profile = recording.finish().await?;
        match early {
            Ok(read) => read,
            Err(_) => reading.await,
        }?;
        println!(
            "{label}: median {rate:.0} rows/s ({:.3} of {}), {us:.1} µs a row ({:.3} of {})",
            rate / base_rate,
            bins[0].0,
            us / base_us,
            bins[0].0
        );
        builds.push(json!({
            "label": label, "rows_per_s": rate, "us_per_row": us,
            "rate_ratio": rate / base_rate, "cpu_ratio": us / base_us,
            "rounds": runs.iter().map(|&(r, u)| json!({"rows_per_s": r, "us_per_row": u}))
                .collect::<Vec<_>>(),
            "profile": profile.report(us, "exported row (unprofiled median)", rate),
        }));
    }
    Ok(json!({
        "when": chrono::Local::now().to_rfc3339(),
        "machine": {"cores": std::thread::available_parallelism().map_or(0, usize::from)},
        "visits": visits,
        "rounds": rounds,
        "builds": builds,
    }))
}

/// The build `bin` serving `dir`, a client of it and the admin `email`'s session token.
async fn serve(
    bin: &Path,
    dir: &Path,
    slug: &str,
    email: &str,
) -> anyhow::Result<(BenchServer, Client, String)> {
    let server = BenchServer::start(bin, dir, None, &[]).await?;
    let c = server.client()?;
    let admin = server.login(&c, slug, email, PASSWORD).await?;
    Ok((server, c, admin))
}
