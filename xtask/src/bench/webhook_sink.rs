//! The HTTPS receiver `--webhooks` delivers to: a free loopback port, TLS under the bench
//! server's own certificate (which the webhook then trusts as its CA), HTTP/1.1 with keep-alive.
//! It answers every request `200` at once and notes when each delivery arrived, by its path and
//! the visit it is about (`"<path> <visit>"`), and deliveries whose `webhook-id` it had seen before (an event sent twice). A thread
//! per connection; dropping the sink stops accepting.

use std::{
    collections::{HashMap, HashSet},
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Instant,
};

use anyhow::Context;

use super::smtp_sink::server_tls;

/// The largest request body read.
const MAX_BODY: usize = 1024 * 1024;

pub struct WebhookSink {
    pub port: u16,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
}

#[derive(Default)]
struct Seen {
    /// When each delivery arrived, by `"<path> <visit>"`.
    arrivals: HashMap<String, Instant>,
    ids: HashSet<String>,
    repeats: u64,
}

impl WebhookSink {
    pub fn start(cert: &Path, key: &Path) -> anyhow::Result<WebhookSink> {
        let config = server_tls(cert, key)?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (record, stopped) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (config, record) = (config.clone(), record.clone());
                std::thread::spawn(move || {
                    let _ = session(conn, config, &record);
                });
            }
        });
        Ok(WebhookSink { port, seen, stop })
    }

    /// When the delivery to `path` about `visit` arrived, if it did.
    pub fn arrival(&self, path: &str, visit: &str) -> Option<Instant> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.arrivals.get(&format!("{path} {visit}")).copied()
    }

    /// Deliveries so far, and those that repeated an earlier `webhook-id`.
    pub fn counts(&self) -> (usize, u64) {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        (seen.ids.len(), seen.repeats)
    }
}

impl Drop for WebhookSink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn session(
    tcp: TcpStream,
    config: Arc<rustls::ServerConfig>,
    seen: &Mutex<Seen>,
) -> anyhow::Result<()> {
    tcp.set_nodelay(true)?;
    let tls = rustls::StreamOwned::new(rustls::ServerConnection::new(config)?, tcp);
    let mut r = BufReader::new(tls);
    loop {
        let (mut length, mut id, mut line) = (0usize, None, String::new());
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let path = line.split(' ').nth(1).unwrap_or_default().to_owned();
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (name, value) = l.split_once(':').context("a header")?;
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse()?,
                "webhook-id" => id = Some(value.trim().to_owned()),
                _ => {}
            }
        }
        anyhow::ensure!(length <= MAX_BODY, "a body over the limit");
        let mut body = vec![0; length];
        r.read_exact(&mut body)?;
        let at = Instant::now();
        let visit = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                v["data"]["visit_id"]
                    .as_str()
                    .map(|v| format!("{path} {v}"))
            });
        {
            let mut s = seen.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(id) = id
                && !s.ids.insert(id)
            {
                s.repeats += 1;
            }
            if let Some(v) = visit {
                s.arrivals.entry(v).or_insert(at);
            }
        }
        r.get_mut()
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")?;
        r.get_mut().flush()?;
    }
}
