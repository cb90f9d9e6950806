//! The many-connections part of `--scale`: `--idle` kept-alive kiosk connections (TLS, one
//! `GET /healthz` each, then nothing) and `--streams` open event streams (`GET /api/v1/events`,
//! the console's live feed), all held at once on one server. Measured: the server's resident
//! memory per connection of each kind, its open files, how many connections were still open at
//! the end, and a kiosk's check-in p99 while they are all open.

use std::{path::Path, sync::Arc};

use anyhow::Context;
use futures::{StreamExt, stream};
use rustls::pki_types::ServerName;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tokio_rustls::{TlsConnector, client::TlsStream};

/// Connections opened at once.
const OPENING: usize = 64;
/// The longest one connection may take to open and be answered.
const OPEN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Connections to one server, each with its request answered; and how many failed, with the
/// first failure.
pub struct Held(Vec<TlsStream<TcpStream>>, pub usize, pub Option<String>);

impl Held {
    /// `n` connections to `port`, each sending `request` and reading its answer's head, which
    /// must be a `200`; those that fail are counted.
    pub async fn open(cert: &Path, port: u16, n: usize, request: &str) -> anyhow::Result<Held> {
        let connector = TlsConnector::from(Arc::new(crate::demo::tls_config(cert)?));
        let request = request.as_bytes();
        let held = stream::iter(0..n)
            .map(|_| {
                let connector = connector.clone();
                let open = async move {
                    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
                    let name = ServerName::try_from("localhost")?;
                    let mut tls = connector.connect(name, tcp).await?;
                    tls.write_all(request).await?;
                    let head = read_head(&mut tls).await?;
                    anyhow::ensure!(head.starts_with("HTTP/1.1 200"), "answered {head}");
                    anyhow::Ok(tls)
                };
                async move {
                    tokio::time::timeout(OPEN_TIMEOUT, open)
                        .await
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("no answer in {OPEN_TIMEOUT:?}")))
                }
            })
            .buffer_unordered(OPENING)
            .collect::<Vec<_>>()
            .await;
        let (mut ok, mut failed, mut first) = (Vec::with_capacity(n), 0, None);
        for h in held {
            match h {
                Ok(tls) => ok.push(tls),
                Err(e) => {
                    failed += 1;
                    first.get_or_insert_with(|| format!("{e:#}"));
                }
            }
        }
        Ok(Held(ok, failed, first))
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
