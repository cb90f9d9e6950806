//! The demo's mail catcher, so that `cargo xtask run` shows the whole loop on one machine: the
//! SMTP server the mail tests use (`tests/smtp/smtp_server.py`, aiosmtpd from the virtualenv of
//! [`crate::prereqs::python_tools`]) on a free loopback port, with implicit TLS under the demo
//! server's own self-signed certificate, which the demo tenant's SMTP settings then trust as their
//! CA (verification stays on). Every email lands in `<data-dir>/mail/` as one `.eml` file. The
//! catcher stops with the demo: Ctrl-C reaches it like the server, and dropping it kills it.

use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use anyhow::{Context, bail};
use reqwest::Client;
use serde_json::json;

use crate::{prereqs, workspace};

/// The SMTP account the catcher accepts (the password is drawn at each start).
const USER: &str = "demo-mailer";

/// A running catcher; dropping it stops it.
pub struct MailCatcher {
    child: Child,
    port: u16,
    password: String,
    /// Where the caught emails are written.
    pub maildir: PathBuf,
}

impl MailCatcher {
    /// Starts the catcher with the certificate and key of the server whose data dir is `data_dir`.
    pub fn start(data_dir: &Path, password: String) -> anyhow::Result<MailCatcher> {
        let python = prereqs::python_tools()?.join("python3");
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let maildir = data_dir.join("mail");
        let tls = data_dir.join("tls");
        let mut child = Command::new(python)
            .arg(workspace::root().join("tests/smtp/smtp_server.py"))
            .args(["--port", &port.to_string(), "--mode", "tls"])
            .arg("--cert")
            .arg(tls.join("cert.pem"))
            .arg("--key")
            .arg(tls.join("key.pem"))
            .arg("--maildir")
            .arg(&maildir)
            .args(["--user", USER, "--password", &password])
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the mail catcher")?;
        let stdout = child.stdout.take().context("the catcher's stdout")?;
        let catcher = MailCatcher {
            child,
            port,
            password,
            maildir,
        };
        // It prints "ready <port>" once listening; the thread drains what follows.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.starts_with("ready") {
                    let _ = tx.send(());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(()) => Ok(catcher),
            Err(_) => bail!("the mail catcher did not start within 30 s"),
        }
    }

    /// Points the demo tenant's mail at the catcher, trusting the server's certificate.
    pub async fn configure(
        &self,
        client: &Client,
        base: &str,
        token: &str,
        cert: &Path,
    ) -> anyhow::Result<()> {
        let ca_pem = std::fs::read_to_string(cert).context("reading the server certificate")?;
        let body = json!({
            "host": "localhost", "port": self.port, "security": "tls",
            "username": USER, "password": self.password,
            "from_address": "reception@demo.test", "from_name": "Demo Reception",
            "ca_pem": ca_pem,
        });
        let res = client
            .put(format!("{base}/api/v1/integrations/smtp"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await?;
        if !res.status().is_success() {
            bail!("setting the demo's SMTP server: {}", res.status());
        }
        Ok(())
    }
}

impl Drop for MailCatcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Removes the demo tenant's SMTP settings (a catcher of an earlier run is gone): the kiosk then
/// tells visitors to go to reception instead of promising an email.
pub async fn unconfigure(client: &Client, base: &str, token: &str) -> anyhow::Result<()> {
    let res = client
        .delete(format!("{base}/api/v1/integrations/smtp"))
        .bearer_auth(token)
        .send()
        .await?;
    let status = res.status();
    if !status.is_success() && status != reqwest::StatusCode::NOT_FOUND {
        bail!("removing the demo's SMTP server: {status}");
    }
    Ok(())
}
