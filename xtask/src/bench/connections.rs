//! The many-connections part of `--scale`: `--idle` kept-alive kiosk connections (TLS, one
//! `GET /healthz` each, then nothing) and `--streams` open event streams (`GET /api/v1/events`,
//! the console's live feed), all held at once on one server. Measured: the server's resident
//! memory per connection of each kind, its open files, how many connections were still open at
//! the end, and a kiosk's check-in p99 while they are all open.

use std::{path::Path, sync::Arc, time::Instant};

use anyhow::Context;
use futures::{StreamExt, TryStreamExt, stream};
use rustls::pki_types::ServerName;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tokio_rustls::{TlsConnector, client::TlsStream};

/// Connections opened at once.
const OPENING: usize = 64;

/// Connections to one server, each with its request answered.
pub struct Held(Vec<TlsStream<TcpStream>>);

impl Held {
    /// `n` connections to `port`, each sending `request` and reading its answer's head, which
    /// must be a `200`.
    pub async fn open(cert: &Path, port: u16, n: usize, request: &str) -> anyhow::Result<Held> {
        let connector = TlsConnector::from(Arc::new(crate::demo::tls_config(cert)?));
        let request = request.as_bytes();
        let held = stream::iter(0..n)
            .map(|_| {
                let connector = connector.clone();
                async move {
                    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
                    let name = ServerName::try_from("localhost")?;
                    let mut tls = connector.connect(name, tcp).await?;
                    tls.write_all(request).await?;
                    let head = read_head(&mut tls).await?;
                    anyhow::ensure!(head.starts_with("HTTP/1.1 200"), "answered {head}");
                    anyhow::Ok(tls)
                }
            })
            .buffer_unordered(OPENING)
            .try_collect()
            .await?;
        Ok(Held(held))
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

/// Reads up to the end of an answer's head (what follows it stays unread or is dropped).
async fn read_head(tls: &mut TlsStream<TcpStream>) -> anyhow::Result<String> {
    let started = Instant::now();
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        anyhow::ensure!(started.elapsed().as_secs() < 30, "no answer in 30 s");
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
