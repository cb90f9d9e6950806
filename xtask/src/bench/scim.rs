//! `cargo xtask bench --scim`: what SCIM costs an identity provider's sync on a large directory.
//! Per engine: `--users` users provisioned through `POST /scim/v2/Users` (eight at a time, as an
//! identity provider's sync does), then `--samples` timings each of the list's first page, its
//! last page (100 users a page), and a lookup by `userName` (what Entra ID and Okta send before
//! each create). Reported: users provisioned per second, and each request's median and p95.

use std::{path::Path, time::Instant};

use anyhow::Context;
use serde_json::{Value, json};

use super::server::{BenchServer, PgDatabase};

/// Both engines' figures (PostgreSQL unless `sqlite_only`).
pub async fn measure(
    bin: &Path,
    users: usize,
    samples: usize,
    sqlite_only: bool,
) -> anyhow::Result<Value> {
    let mut engines = serde_json::Map::new();
    engines.insert(
        "sqlite".into(),
        engine(bin, None, users, samples).await.context("SQLite")?,
    );
    if !sqlite_only {
        let db = PgDatabase::create().await?;
        let pg = engine(bin, Some(&db.url), users, samples).await;
        db.drop_it().await;
        engines.insert("postgres".into(), pg.context("PostgreSQL")?);
    }
    Ok(json!({
        "when": chrono::Local::now().to_rfc3339(),
        "users": users,
        "samples": samples,
        "engines": engines,
    }))
}

async fn engine(
    bin: &Path,
    pg: Option<&str>,
    users: usize,
    samples: usize,
) -> anyhow::Result<Value> {
    let name = if pg.is_some() { "postgres" } else { "sqlite" };
    let dir = std::env::temp_dir().join(format!("vestibule-scim-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let server = BenchServer::start(bin, &dir, pg, &[]).await?;
    let fleet = server.setup(1).await?;
    let c = server.client()?;
    let key = c
        .post(format!("{}/api/v1/api-keys", server.base))
        .bearer_auth(&fleet.admin)
        .json(&json!({"name": "bench", "scopes": ["scim"]}))
        .send()
        .await?
        .error_for_status()?
        .json::<Value>()
        .await?["key"]
        .as_str()
        .context("key")?
        .to_owned();

    let started = Instant::now();
    let mut adding = tokio::task::JoinSet::new();
    for i in 0..users {
        if adding.len() >= 8 {
            adding.join_next().await.context("a user")???;
        }
        let (c, url, key) = (
            c.clone(),
            format!("{}/scim/v2/Users", server.base),
            key.clone(),
        );
        adding.spawn(async move {
            let body = json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": format!("user{i:05}@bench.test"),
                "externalId": format!("ext-{i}"),
                "name": {"givenName": "Bench", "familyName": format!("User {i}")},
                "emails": [{"value": format!("user{i:05}@bench.test"), "type": "work", "primary": true}],
                "active": true,
            });
            let r = c.post(url).bearer_auth(&key).json(&body).send().await?;
            anyhow::ensure!(r.status().as_u16() == 201, "create: {}", r.status());
            anyhow::Ok(())
        });
    }
    while let Some(done) = adding.join_next().await {
        done??;
    }
    let per_sec = users as f64 / started.elapsed().as_secs_f64();
    println!("  {name}: {users} users provisioned at {per_sec:.0}/s");

    let last = users.saturating_sub(99).max(1);
    let mut figures = serde_json::Map::new();
    for (label, query) in [
        ("first_page", "startIndex=1&count=100".to_owned()),
        ("last_page", format!("startIndex={last}&count=100")),
        (
            "by_user_name",
            format!(
                "filter=userName%20eq%20%22user{:05}%40bench.test%22",
                users / 2
            ),
        ),
    ] {
        let url = format!("{}/scim/v2/Users?{query}", server.base);
        let mut ms = Vec::with_capacity(samples);
        for _ in 0..samples {
            let t = Instant::now();
            let r = c.get(&url).bearer_auth(&key).send().await?;
            anyhow::ensure!(r.status().is_success(), "{label}: {}", r.status());
            let body: Value = r.json().await?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
            anyhow::ensure!(
                body["totalResults"].as_u64()
                    == Some(if label == "by_user_name" {
                        1
                    } else {
                        users as u64
                    }),
                "{label}: {}",
                body["totalResults"]
            );
        }
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
        println!(
            "  {name} {label:<13} median {:>7.1} ms  p95 {:>7.1} ms",
            at(0.5),
            at(0.95)
        );
        figures.insert(
            label.into(),
            json!({"median_ms": at(0.5), "p95_ms": at(0.95)}),
        );
    }
    figures.insert("provisioned_per_sec".into(), json!(per_sec));
    Ok(Value::Object(figures))
}
