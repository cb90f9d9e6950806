//! The many-connections part of `--scale`: `--idle` kept-alive kiosk connections (TLS, one
//! `GET /healthz` each, then nothing) and `--streams` open event streams (`GET /api/v1/events`,
//! the console's live feed), all held at once on one server. Measured: the server's resident
//! memory per connection of each kind, its open files, how many connections were still open at
//! the end, and a kiosk's check-in p99 while they are all open.

use std::{collections::BTreeMap, path::Path, sync::Arc, time::Instant};

use serde_json::{Value, json};

use anyhow::Context;
use futures::{StreamExt, stream};
use rustls::pki_types::ServerName;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::timeout_at,
};
use tokio_rustls::{TlsConnector, client::TlsStream};

use super::{
    scale::{Kiosk, rss_kib},
    server::BenchServer,
};

/// Kept-alive kiosk connections held at once.
pub const IDLE: usize = 10_000;
/// Event streams held at once.
pub const STREAMS: usize = 1_000;
/// Connections opened at once.
const OPENING: usize = 64;
/// The longest one connection may take to open and be answered.
const OPEN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Connections to one server, each with its request answered; and how many failed, by what
/// went wrong (at which step it timed out).
pub struct Held(Vec<TlsStream<TcpStream>>, BTreeMap<String, usize>);

impl Held {
    /// `n` connections to `port`, each sending `request` and reading its answer's head, which
    /// must be a `200`; those that fail are counted.
    pub async fn open(cert: &Path, port: u16, n: usize, request: &str) -> anyhow::Result<Held> {
        let connector = TlsConnector::from(Arc::new(crate::demo::tls_config(cert)?));
        let request = request.as_bytes();
        let held = stream::iter(0..n)
            .map(|_| {
                let connector = connector.clone();
                async move {
                    let deadline = tokio::time::Instant::now() + OPEN_TIMEOUT;
                    let late =
                        |step: &str| anyhow::anyhow!("no answer in {OPEN_TIMEOUT:?} ({step})");
                    let connect = TcpStream::connect(("127.0.0.1", port));
                    let tcp = timeout_at(deadline, connect)
                        .await
                        .map_err(|_| late("TCP connect"))??;
                    let name = ServerName::try_from("localhost")?;
                    let mut tls = timeout_at(deadline, connector.connect(name, tcp))
                        .await
                        .map_err(|_| late("TLS handshake"))??;
                    // `write_all` may leave the request, and even the handshake's last
                    // message, in rustls' buffer (when the new socket was not yet known to be
                    // writable); only a flush sends it, else the answer never comes.
                    tls.write_all(request).await?;
                    timeout_at(deadline, tls.flush())
                        .await
                        .map_err(|_| late("sending the request"))??;
                    let head = timeout_at(deadline, read_head(&mut tls))
                        .await
                        .map_err(|_| late("the answer"))??;
                    anyhow::ensure!(head.starts_with("HTTP/1.1 200"), "answered {head}");
                    anyhow::Ok(tls)
                }
            })
            .buffer_unordered(OPENING)
            .collect::<Vec<_>>()
            .await;
        let (mut ok, mut failed) = (Vec::with_capacity(n), BTreeMap::new());
        for h in held {
            match h {
                Ok(tls) => ok.push(tls),
                Err(e) => *failed.entry(format!("{e:#}")).or_default() += 1,
            }
        }
        Ok(Held(ok, failed))
    }

    /// How many failed to open.
    pub fn failed(&self) -> usize {
        self.1.values().sum()
    }

    /// How many of these connections the server has not closed: a read that would wait means
    /// open; the end of the stream (or an error) means closed.
    pub async fn still_open(&mut self) -> usize {
        let mut open = 0;
        let mut buf = [0u8; 4096];
        for tls in &mut self.0 {
            let read = tokio::time::timeout(std::time::Duration::ZERO, tls.read(&mut buf)).await;
            open += usize::from(match read {
                Err(_) => true,
                Ok(Ok(n)) => n > 0,
                Ok(Err(_)) => false,
            });
        }
        open
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// [`IDLE`] idle kiosk connections and [`STREAMS`] event streams held at once: the server's
/// memory per connection, its open files, and a check-in's p99 with the idle connections alone
/// and then with the streams too (each check-in is an event every stream is sent).
pub async fn measure(server: &BenchServer, kiosk: &Kiosk, admin: &str) -> anyhow::Result<Value> {
    let pid = server.pid();
    let port: u16 = server
        .base
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .context("the port")?;
    let (cert, _) = server.cert_and_key();
    let rss0 = rss_kib(pid)?;
    let t = Instant::now();
    let healthz = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let mut idle = Held::open(&cert, port, IDLE, healthz).await?;
    let idle_secs = t.elapsed().as_secs_f64();
    let rss1 = rss_kib(pid)?;
    let idle_p99 = kiosk.p99("held").await?;
    let events = format!(
        "GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {admin}\r\nAccept: text/event-stream\r\n\r\n"
    );
    let mut streams = Held::open(&cert, port, STREAMS, &events).await?;
    let rss2 = rss_kib(pid)?;
    let files = open_files(pid)?;
    let p99 = kiosk.p99("crowd").await?;
    let (idle_open, streams_open) = (idle.still_open().await, streams.still_open().await);
    let per_idle = (rss1.saturating_sub(rss0)) as f64 / IDLE as f64;
    let per_stream = (rss2.saturating_sub(rss1)) as f64 / STREAMS as f64;
    println!(
        "  {} idle connections (opened in {idle_secs:.1} s, {idle_open} still open at the end): {per_idle:.1} KiB each; check-in p99 {idle_p99:.1} ms",
        idle.len()
    );
    for (what, h) in [("idle connections", &idle), ("event streams", &streams)] {
        for (error, n) in &h.1 {
            println!("  {n} {what} failed: {error}");
        }
    }
    println!(
        "  {} event streams ({streams_open} still open): {per_stream:.1} KiB each; server RSS {:.0} MB, {files} open files; check-in p99 {p99:.1} ms",
        streams.len(),
        rss2 as f64 / 1024.0
    );
    Ok(json!({
        "idle": IDLE, "streams": STREAMS, "idle_open_secs": idle_secs,
        "idle_failed": idle.failed(), "streams_failed": streams.failed(),
        "failures": {"idle": idle.1, "streams": streams.1},
        "idle_still_open": idle_open, "streams_still_open": streams_open,
        "kib_per_idle": per_idle, "kib_per_stream": per_stream,
        "rss_mb": rss2 as f64 / 1024.0, "open_files": files, "check_in_p99_ms": p99,
        "check_in_p99_idle_only_ms": idle_p99,
    }))
}

/// Reads up to the end of an answer's head (what follows it stays unread or is dropped).
async fn read_head(tls: &mut TlsStream<TcpStream>) -> anyhow::Result<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tls.read(&mut buf).await?;
        anyhow::ensure!(n > 0, "closed before answering");
        head.extend_from_slice(buf.get(..n).context("read")?);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// The soft limit on open files of process `pid` (`/proc/<pid>/limits`).
pub fn open_file_limit(pid: &str) -> anyhow::Result<u64> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits"))?;
    limits
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .context("Max open files")
}

/// How many files process `pid` has open.
pub fn open_files(pid: u32) -> anyhow::Result<usize> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))?.count())
}
