//! `cargo xtask bench --watchlist`: what the watchlist check costs a check-in. Per engine, wrk's
//! check-in peak (none of its visitors on the list) twice with an empty watchlist, then twice
//! with `--entries` entries (each a name and an email, added through the API), each run after one
//! second of warm-up. Reported: check-ins per second, the server's CPU time per check-in, and
//! the ratio of the two means, full to empty.

use std::path::Path;

use anyhow::Context;
use serde_json::{Value, json};

use super::{
    load,
    server::{BenchServer, PgDatabase},
    wrk,
};

/// Both engines' figures (PostgreSQL unless `sqlite_only`).
pub async fn measure(
    bin: &Path,
    entries: usize,
    clients: usize,
    secs: u64,
    sqlite_only: bool,
) -> anyhow::Result<Value> {
    wrk::ensure()?;
    let mut engines = serde_json::Map::new();
    engines.insert(
        "sqlite".into(),
        engine(bin, None, entries, clients, secs)
            .await
            .context("SQLite")?,
    );
    if !sqlite_only {
        let db = PgDatabase::create().await?;
        let pg = engine(bin, Some(&db.url), entries, clients, secs).await;
        db.drop_it().await;
        engines.insert("postgres".into(), pg.context("PostgreSQL")?);
    }
    Ok(json!({
        "when": chrono::Local::now().to_rfc3339(),
        "entries": entries,
        "clients": clients,
        "secs_per_run": secs,
        "engines": engines,
    }))
}

async fn engine(
    bin: &Path,
    pg: Option<&str>,
    entries: usize,
    clients: usize,
    secs: u64,
) -> anyhow::Result<Value> {
    let name = if pg.is_some() { "postgres" } else { "sqlite" };
    let dir =
        std::env::temp_dir().join(format!("vestibule-watchlist-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let server = BenchServer::start(bin, &dir, pg, &[]).await?;
    let fleet = server.setup(clients).await?;
    let stamp = chrono::Utc::now().timestamp_millis().to_string();
    let url = format!("{}/api/v1/kiosk/visits", server.base);
    let run = async |label: String| -> anyhow::Result<wrk::Outcome> {
        let body = load::check_in_body("HOST_ID");
        let warm = wrk::check_in_script(
            &dir,
            "warm",
            &format!("{label}-w-{stamp}"),
            &body,
            &fleet.targets,
        )?;
        let script = wrk::check_in_script(
            &dir,
            &label,
            &format!("{label}-{stamp}"),
            &body,
            &fleet.targets,
        )?;
        wrk::run(&url, &warm, clients, 1, Some(server.pid())).await?;
        if let Some(pg) = pg {
            PgDatabase::analyze(pg).await?;
        }
        let o = wrk::run(&url, &script, clients, secs, Some(server.pid())).await?;
        println!(
            "  {name} {label:<12} {:>8.0} check-ins/s ({} failed; server {:.0} us CPU each)",
            o.rps(),
            o.failed,
            cpu_us(&o)
        );
        Ok(o)
    };
    let empty = [run("empty-1".into()).await?, run("empty-2".into()).await?];

    // The entries, eight requests at a time.
    let c = server.client()?;
    let mut adding = tokio::task::JoinSet::new();
    for i in 0..entries {
        if adding.len() >= 8 {
            adding.join_next().await.context("an entry")???;
        }
        let (c, url, admin) = (
            c.clone(),
            format!("{}/api/v1/watchlist", server.base),
            fleet.admin.clone(),
        );
        adding.spawn(async move {
            let body = json!({"name": format!("Watched Person {i}"),
                "email": format!("watched{i}@example.org"), "reason": "Bench entry"});
            let r = c.post(url).bearer_auth(&admin).json(&body).send().await?;
            anyhow::ensure!(r.status().is_success(), "watchlist entry: {}", r.status());
            anyhow::Ok(())
        });
    }
    while let Some(done) = adding.join_next().await {
        done??;
    }
    let full = [run("full-1".into()).await?, run("full-2".into()).await?];

    let mean = |runs: &[wrk::Outcome; 2]| (runs[0].rps() + runs[1].rps()) / 2.0;
    let cpu = |runs: &[wrk::Outcome; 2]| (cpu_us(&runs[0]) + cpu_us(&runs[1])) / 2.0;
    let ratio = mean(&full) / mean(&empty);
    println!(
        "  {name}: {entries} entries / empty = {ratio:.3} (check-ins/s); server CPU per check-in {:.0} vs {:.0} us",
        cpu(&full),
        cpu(&empty)
    );
    Ok(json!({
        "empty": empty.iter().map(wrk::Outcome::json).collect::<Vec<_>>(),
        "full": full.iter().map(wrk::Outcome::json).collect::<Vec<_>>(),
        "check_ins_per_sec_empty": mean(&empty),
        "check_ins_per_sec_full": mean(&full),
        "ratio_full_to_empty": ratio,
        "server_cpu_us_per_check_in_empty": cpu(&empty),
        "server_cpu_us_per_check_in_full": cpu(&full),
    }))
}

/// The server's CPU time per check-in of a run, in microseconds (its share of all cores).
fn cpu_us(o: &wrk::Outcome) -> f64 {
    let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
    o.server_cpu * cores * 1e6 / o.rps().max(1.0)
}
