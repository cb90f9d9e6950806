//! `cargo xtask bench --invitations`: how many invitation emails one server sends a second. Per
//! engine, the bench tenant gets an SMTP server (the bench's TLS sink, [`SmtpSink`]), then one
//! CSV import of `--invites` invitations for tomorrow; each queues two emails (the visitor's,
//! with its QR code and calendar event, and the host's confirmation). Timed: the import's answer,
//! and from the import until the sink has every email (the outbox draining through TLS SMTP).

use std::{path::Path, time::Instant};

use anyhow::Context;
use serde_json::{Value, json};

use super::{
    server::{BenchServer, PgDatabase},
    smtp_sink::SmtpSink,
};

/// Both engines' figures (PostgreSQL unless `sqlite_only`).
pub async fn measure(bin: &Path, invites: usize, sqlite_only: bool) -> anyhow::Result<Value> {
    let mut engines = serde_json::Map::new();
    engines.insert(
        "sqlite".into(),
        engine(bin, None, invites).await.context("SQLite")?,
    );
    if !sqlite_only {
        let db = PgDatabase::create().await?;
        let pg = engine(bin, Some(&db.url), invites).await;
        db.drop_it().await;
        engines.insert("postgres".into(), pg.context("PostgreSQL")?);
    }
    Ok(json!({
        "when": chrono::Local::now().to_rfc3339(),
        "invites": invites,
        "engines": engines,
    }))
}

async fn engine(bin: &Path, pg: Option<&str>, invites: usize) -> anyhow::Result<Value> {
    let name = if pg.is_some() { "postgres" } else { "sqlite" };
    let dir = std::env::temp_dir().join(format!(
        "vestibule-invitations-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let server = BenchServer::start(bin, &dir, pg, &[]).await?;
    let fleet = server.setup(1).await?;
    let (cert, key) = server.cert_and_key();
    let sink = SmtpSink::start(&cert, &key)?;
    server.configure_smtp(&fleet.admin, sink.port).await?;

    let day = (chrono::Utc::now() + chrono::Duration::days(1)).date_naive();
    let mut csv = String::from("name,email,host_email,expected_at\n");
    for i in 0..invites {
        csv.push_str(&format!(
            "Visitor {i},visitor{i}@example.com,harriet@bench.test,{day} {:02}:{:02}\n",
            8 + i % 10,
            i % 60
        ));
    }
    let started = Instant::now();
    let res = server
        .client()?
        .post(format!("{}/api/v1/invites/import", server.base))
        .bearer_auth(&fleet.admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await?;
    let status = res.status();
    anyhow::ensure!(
        status.is_success(),
        "import: {status} {}",
        res.text().await?
    );
    let import_secs = started.elapsed().as_secs_f64();
    let emails = 2 * invites as u64;
    while sink.messages() < emails {
        anyhow::ensure!(
            started.elapsed().as_secs() < 600,
            "only {} of {emails} emails after 10 minutes",
            sink.messages()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let all_secs = started.elapsed().as_secs_f64();
    let per_sec = emails as f64 / all_secs;
    println!(
        "{name}: {invites} invitations imported in {import_secs:.2} s; \
         {emails} emails at the sink {all_secs:.2} s after the import began: {per_sec:.0} emails/s \
         ({} sent twice)",
        sink.repeats()
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(json!({
        "import_secs": import_secs,
        "emails": emails,
        "all_delivered_secs": all_secs,
        "emails_per_sec": per_sec,
        "repeated_message_ids": sink.repeats(),
    }))
}
