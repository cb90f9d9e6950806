//! The SMTP server the sustained-throughput run's emails go to: a sink on a free loopback port,
//! implicit TLS (rustls) under the bench server's own self-signed certificate, which the tenant's
//! SMTP settings then trust as their CA (the server's certificate checks stay on). It speaks
//! enough ESMTP for a real client: EHLO/HELO, AUTH PLAIN and LOGIN (any credentials), MAIL, RCPT,
//! DATA, RSET, NOOP, QUIT, any number of messages per connection; it counts the messages (and
//! those whose Message-ID it has seen before: an email sent twice) and
//! throws their data away. A thread per connection; dropping the sink stops accepting.

use std::{
    collections::HashSet,
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use anyhow::Context;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};

/// Longest command or data line read; longer ones end the connection.
const MAX_LINE: usize = 64 * 1024;

pub struct SmtpSink {
    pub port: u16,
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
}

/// What the sink has received.
#[derive(Default)]
struct Tally {
    messages: AtomicU64,
    /// Messages whose Message-ID had been received before.
    repeats: AtomicU64,
    ids: Mutex<HashSet<String>>,
}

impl Tally {
    fn record(&self, message_id: Option<String>) {
        self.messages.fetch_add(1, Ordering::SeqCst);
        if let Some(id) = message_id {
            let mut ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
            if !ids.insert(id) {
                self.repeats.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

impl SmtpSink {
    /// Listens on 127.0.0.1 with the certificate chain `cert` and its key `key` (PEM files).
    pub fn start(cert: &Path, key: &Path) -> anyhow::Result<SmtpSink> {
        let config = server_tls(cert, key)?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let tally = Arc::new(Tally::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (count, stopped) = (tally.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (config, count) = (config.clone(), count.clone());
                std::thread::spawn(move || {
                    let _ = session(conn, config, &count);
                });
            }
        });
        Ok(SmtpSink { port, tally, stop })
    }

    /// Messages accepted so far.
    pub fn messages(&self) -> u64 {
        self.tally.messages.load(Ordering::SeqCst)
    }

    /// Messages accepted so far whose Message-ID had come before.
    pub fn repeats(&self) -> u64 {
        self.tally.repeats.load(Ordering::SeqCst)
    }
}

/// A TLS server configuration with the certificate chain `cert` and its key `key` (PEM files).
pub fn server_tls(cert: &Path, key: &Path) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let chain = CertificateDer::pem_file_iter(cert)
        .context("reading the sink's certificate")?
        .collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_file(key).context("reading the sink's key")?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(chain, key)?;
    Ok(Arc::new(config))
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// One connection: the TLS handshake, then the dialogue.
fn session(tcp: TcpStream, config: Arc<rustls::ServerConfig>, count: &Tally) -> anyhow::Result<()> {
    tcp.set_nodelay(true)?;
    let tls = rustls::StreamOwned::new(rustls::ServerConnection::new(config)?, tcp);
    let mut r = BufReader::new(tls);
    dialogue(&mut r, count)?;
    r.get_mut().conn.send_close_notify();
    let _ = r.get_mut().flush();
    Ok(())
}

/// The greeting, then commands until QUIT or the end of the stream.
fn dialogue<S: Read + Write>(r: &mut BufReader<S>, tally: &Tally) -> anyhow::Result<()> {
    reply(r, "220 localhost ESMTP vestibule bench sink")?;
    let mut line = Vec::new();
    while read_line(r, &mut line)? {
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end();
        let (verb, arg) = text.split_once(' ').unwrap_or((text, ""));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => reply(
                r,
                "250-localhost\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760",
            )?,
            "HELO" => reply(r, "250 localhost")?,
            "AUTH" => auth(r, arg)?,
            "MAIL" | "RCPT" | "RSET" | "NOOP" => reply(r, "250 2.0.0 OK")?,
            "DATA" => {
                reply(r, "354 End data with <CR><LF>.<CR><LF>")?;
                let Some(id) = data(r)? else { return Ok(()) };
                tally.record(id);
                reply(r, "250 2.0.0 OK: queued")?;
            }
            "QUIT" => return reply(r, "221 2.0.0 Bye"),
            _ => reply(r, "502 5.5.2 Command not recognized")?,
        }
    }
    Ok(())
}

/// A message's data up to the lone dot, thrown away but for its Message-ID (`Some(None)` when it
/// has none; `None` when the stream ended first).
fn data<S: Read>(r: &mut BufReader<S>) -> anyhow::Result<Option<Option<String>>> {
    let (mut line, mut id, mut in_headers, mut id_next) = (Vec::new(), None, true, false);
    loop {
        if !read_line(r, &mut line)? {
            return Ok(None);
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(Some(id));
        }
        let text = String::from_utf8_lossy(&line);
        let value = text.trim();
        if !in_headers {
            continue;
        }
        if value.is_empty() {
            in_headers = false;
        } else if id_next && text.starts_with([' ', '\t']) {
            id = Some(value.to_owned());
        } else if let Some((name, v)) = text.split_once(':')
            && name.eq_ignore_ascii_case("message-id")
        {
            id = Some(v.trim().to_owned()).filter(|v| !v.is_empty());
            id_next = id.is_none();
            continue;
        }
        id_next = false;
    }
}

/// AUTH PLAIN (the credentials inline or on the next line) or LOGIN (user, then password).
fn auth<S: Read + Write>(r: &mut BufReader<S>, arg: &str) -> anyhow::Result<()> {
    let mut parts = arg.split_whitespace();
    let mechanism = parts.next().unwrap_or("").to_ascii_uppercase();
    let mut line = Vec::new();
    match mechanism.as_str() {
        "PLAIN" => {
            if parts.next().is_none() {
                reply(r, "334 ")?;
                read_line(r, &mut line)?;
            }
        }
        "LOGIN" => {
            if parts.next().is_none() {
                reply(r, "334 VXNlcm5hbWU6")?;
                read_line(r, &mut line)?;
            }
            reply(r, "334 UGFzc3dvcmQ6")?;
            read_line(r, &mut line)?;
        }
        _ => return reply(r, "504 5.5.4 Unrecognized authentication type"),
    }
    reply(r, "235 2.7.0 Authentication successful")
}

/// Sends one reply in one write (one TLS record), as mail servers do.
fn reply<S: Read + Write>(r: &mut BufReader<S>, text: &str) -> anyhow::Result<()> {
    let w = r.get_mut();
    w.write_all(format!("{text}\r\n").as_bytes())?;
    w.flush()?;
    Ok(())
}

/// Reads one line (with its ending) into `line`; false at the end of the stream.
fn read_line<S: Read>(r: &mut BufReader<S>, line: &mut Vec<u8>) -> anyhow::Result<bool> {
    line.clear();
    let n = r.by_ref().take(MAX_LINE as u64).read_until(b'\n', line)?;
    anyhow::ensure!(n < MAX_LINE || line.ends_with(b"\n"), "line too long");
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client's dialogue over plain TCP: three messages on one connection, both AUTH kinds.
    #[test]
    fn dialogue_counts_messages() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            let tally = Tally::default();
            let (conn, _) = listener.accept().expect("accept");
            dialogue(&mut BufReader::new(conn), &tally).expect("dialogue");
            (
                tally.messages.load(Ordering::SeqCst),
                tally.repeats.load(Ordering::SeqCst),
            )
        });
        let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let script = "EHLO me\r\nAUTH PLAIN AGJlbmNoAHB3\r\nAUTH LOGIN\r\nYmVuY2g=\r\ncHc=\r\n\
                      MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n\
                      Message-ID: <a@x>\r\nSubject: x\r\n\r\nMessage-ID: <b@x>\r\n.\r\n\
                      RSET\r\nNOOP\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n\
                      message-id:\r\n <a@x>\r\n\r\n..dot\r\n.\r\n\
                      MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\nSubject: y\r\n\r\nhi\r\n.\r\n\
                      QUIT\r\n";
        c.write_all(script.as_bytes()).expect("write");
        let mut answers = String::new();
        c.read_to_string(&mut answers).expect("read");
        // Three messages, the second a repeat of the first's Message-ID (folded onto its own line).
        assert_eq!(server.join().expect("server"), (3, 1));
        let codes: Vec<&str> = answers
            .lines()
            .filter(|l| l.as_bytes().get(3) == Some(&b' '))
            .map(|l| &l[..3])
            .collect();
        assert_eq!(
            codes,
            [
                "220", "250", "235", "334", "334", "235", "250", "250", "354", "250", "250", "250",
                "250", "250", "354", "250", "250", "250", "354", "250", "221"
            ]
        );
    }
}
