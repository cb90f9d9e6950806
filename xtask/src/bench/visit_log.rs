//! `cargo xtask bench --visit-log`: how long a page of the visit log takes on a million visits,
//! per engine. The server first makes a few hundred visits through the API (real sealed visitors,
//! each with its own email); the bench then copies them in SQL until the tenant holds `--visits`
//! visits, one every 30 seconds back from now (the same sealed visitor and host rows, new ids,
//! badge codes and times), refreshes the planner's statistics and times `GET /api/v1/visits` as
//! the console asks for it: the first page, the first page behind each filter, a page a thousand
//! pages deep by cursor, and the same page by offset for comparison. Median and p95 of
//! `--samples` requests each, one after the other over one kept-alive connection.

use std::{path::Path, time::Instant};

use anyhow::Context;
use serde_json::{Value, json};
use sqlx::{Connection, Executor, PgConnection, SqliteConnection};

use super::server::{BenchServer, PgDatabase};

/// Visits made through the API, one visitor each; the copies cycle over them.
const SEEDS: usize = 200;
/// Visits per page, as the console asks.
const LIMIT: usize = 50;

/// Both engines' figures (PostgreSQL unless `sqlite_only`).
pub async fn measure(
    bin: &Path,
    visits: usize,
    samples: usize,
    sqlite_only: bool,
) -> anyhow::Result<Value> {
    let mut engines = serde_json::Map::new();
    engines.insert(
        "sqlite".into(),
        engine(bin, None, visits, samples).await.context("SQLite")?,
    );
    if !sqlite_only {
        let db = PgDatabase::create().await?;
        let pg = engine(bin, Some(&db.url), visits, samples).await;
        db.drop_it().await;
        engines.insert("postgres".into(), pg.context("PostgreSQL")?);
    }
    Ok(json!({
        "when": chrono::Local::now().to_rfc3339(),
        "visits": visits,
        "page_size": LIMIT,
        "samples": samples,
        "engines": engines,
    }))
}

async fn engine(
    bin: &Path,
    pg: Option<&str>,
    visits: usize,
    samples: usize,
) -> anyhow::Result<Value> {
    let name = if pg.is_some() { "postgres" } else { "sqlite" };
    let dir =
        std::env::temp_dir().join(format!("vestibule-visit-log-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let server = BenchServer::start(bin, &dir, pg, &[]).await?;
    let fleet = server.setup(1).await?;
    let device = &fleet.targets[0].device;
    let c = server.client()?;
    let b = &server.base;
    for i in 0..SEEDS {
        let body = json!({
            "visitor": {"name": format!("Visitor {i}"), "email": format!("visitor{i}@example.com"), "company": "Example Ltd"},
            "host_id": fleet.host,
        });
        let res = c
            .post(format!("{b}/api/v1/kiosk/visits"))
            .bearer_auth(device)
            .header("Idempotency-Key", format!("seed-{i}"))
            .json(&body)
            .send()
            .await?;
        anyhow::ensure!(res.status().is_success(), "seed check-in: {}", res.status());
    }
    let copies = visits.saturating_sub(SEEDS);
    let started = Instant::now();
    match pg {
        Some(url) => copy_pg(url, copies).await?,
        None => copy_sqlite(&dir.join("vestibule.db"), copies).await?,
    }
    let fill_secs = started.elapsed().as_secs_f64();
    println!("{name}: {visits} visits in the tenant ({copies} copied in SQL in {fill_secs:.0} s)");

    let get = |path: String| {
        let (c, admin) = (c.clone(), fleet.admin.clone());
        async move {
            let res = c
                .get(format!("{b}{path}"))
                .bearer_auth(&admin)
                .send()
                .await?;
            let status = res.status();
            let body: Value = res.json().await?;
            anyhow::ensure!(status.is_success(), "{path}: {status} {body}");
            Ok::<Value, anyhow::Error>(body)
        }
    };
    let first = get(format!("/api/v1/visits?limit={LIMIT}")).await?;
    let site = first["items"][0]["site_id"]
        .as_str()
        .context("site")?
        .to_owned();
    // A page a thousand pages deep: walk there by cursor once, keep the cursor.
    let mut cursor = String::new();
    for _ in 0..1000 {
        let page = get(format!("/api/v1/visits?limit={LIMIT}{cursor}")).await?;
        cursor = format!("&after={}", page["next"].as_str().context("next")?);
    }
    let day = (chrono::Utc::now() - chrono::Duration::days(100)).date_naive();
    let cases = [
        ("first page", String::new()),
        ("site filter", format!("&site_id={site}")),
        ("host filter", format!("&host_id={}", fleet.host)),
        ("on site now", "&status=on_site".to_owned()),
        (
            "one day, 100 days ago",
            format!("&from={day}T00:00:00Z&to={day}T23:59:59Z"),
        ),
        ("exact email", "&email=visitor7%40example.com".to_owned()),
        ("page 1001 by cursor", cursor),
        ("page 1001 by offset", format!("&offset={}", 1000 * LIMIT)),
    ];
    let mut out = serde_json::Map::new();
    for (label, q) in cases {
        let path = format!("/api/v1/visits?limit={LIMIT}{q}");
        let mut ms = Vec::with_capacity(samples);
        let mut shown = 0;
        for _ in 0..samples {
            let t = Instant::now();
            let page = get(path.clone()).await?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            shown = page["items"].as_array().map_or(0, Vec::len);
        }
        ms.sort_by(f64::total_cmp);
        let (median, p95) = (
            ms[ms.len() / 2],
            ms[(ms.len() * 95 / 100).min(ms.len() - 1)],
        );
        println!("  {label:<24} median {median:>7.1} ms   p95 {p95:>7.1} ms   ({shown} rows)");
        out.insert(
            label.into(),
            json!({"median_ms": median, "p95_ms": p95, "rows": shown}),
        );
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Value::Object(out))
}

/// SQLite: copies of the seed visits, written while the server runs (WAL lets it read meanwhile).
async fn copy_sqlite(db: &Path, copies: usize) -> anyhow::Result<()> {
    let mut c = SqliteConnection::connect(&format!("sqlite://{}", db.display())).await?;
    c.execute("PRAGMA busy_timeout = 60000").await?;
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {copies}), \
         seed AS (SELECT row_number() OVER (ORDER BY id) - 1 AS k, * FROM visits) \
         INSERT INTO visits (tenant_id, id, site_id, visitor_id, host_id, status, badge_code, \
           checked_in_at, checked_out_at, created_by) \
         SELECT s.tenant_id, randomblob(16), s.site_id, s.visitor_id, s.host_id, 'checked_out', \
           printf('C%07d', n.i), \
           strftime('%Y-%m-%dT%H:%M:%S', 'now', printf('-%d seconds', n.i * 30)) || '.123457+00:00', \
           strftime('%Y-%m-%dT%H:%M:%S', 'now', printf('-%d seconds', n.i * 30 - 1800)) || '.123457+00:00', \
           s.created_by \
         FROM n JOIN seed s ON s.k = n.i % {SEEDS}"
    );
    c.execute(sqlx::AssertSqlSafe(sql)).await?;
    c.execute("ANALYZE").await?;
    c.close().await?;
    Ok(())
}

/// PostgreSQL: the same copies, as the database's owner.
async fn copy_pg(url: &str, copies: usize) -> anyhow::Result<()> {
    let mut c = PgConnection::connect(url).await?;
    let sql = format!(
        "WITH seed AS (SELECT row_number() OVER (ORDER BY id) - 1 AS k, * FROM visits) \
         INSERT INTO visits (tenant_id, id, site_id, visitor_id, host_id, status, badge_code, \
           checked_in_at, checked_out_at, created_by) \
         SELECT s.tenant_id, gen_random_uuid(), s.site_id, s.visitor_id, s.host_id, 'checked_out', \
           'C' || lpad(n::text, 7, '0'), now() - n * interval '30 seconds', \
           now() - n * interval '30 seconds' + interval '30 minutes', s.created_by \
         FROM generate_series(1, {copies}) AS n JOIN seed s ON s.k = n % {SEEDS}"
    );
    c.execute(sqlx::AssertSqlSafe(sql)).await?;
    c.close().await?;
    PgDatabase::analyze(url).await
}
