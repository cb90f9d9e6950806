//! A real HTTPS webhook receiver for the webhook tests: `tests/webhooks/receiver.py` (Python's
//! standard library) in a child process, with the certificate and key files given, on any path.
//! Every POST is appended to a JSONL file before it is answered, with the answer held back a
//! delay and carrying a status the test picks; `tests/webhooks/check.py` then checks what
//! arrived independently of Vestibule's code: Standard Webhooks signatures with the reference
//! library (`standardwebhooks`, from the Python package index, pinned and installed by
//! `cargo xtask test`), and Slack Block Kit and Teams Adaptive Card messages against JSON Schemas.
//!
//! ```text
//! let mut hook = WebhookReceiver::start(&cert, &key).await;
//! // ... point an endpoint at hook.url("/vestibule"), check a visitor in ...
//! let got = hook.wait_for(1, Duration::from_secs(30)).await;
//! assert_eq!(got[0]["path"], "/vestibule");
//! let summary = hook.check("standard", &[secret]).await;
//! assert_eq!(summary["types"][0], "visit.checked_in");
//! ```

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use crate::smtp::{free_port, python};

pub struct WebhookReceiver {
    pub port: u16,
    /// Holds `deliveries.jsonl`, which outlives restarts: deliveries accumulate.
    dir: tempfile::TempDir,
    cert: PathBuf,
    key: PathBuf,
    delay_secs: u32,
    status: u16,
    child: Option<Child>,
}

impl WebhookReceiver {
    /// Starts a receiver on a free port that answers every POST at once with 200.
    pub async fn start(cert: &Path, key: &Path) -> WebhookReceiver {
        let mut r = Self::stopped(cert, key);
        r.restart().await;
        r
    }

    /// A port with no receiver yet (a sender gets "connection refused");
    /// [`WebhookReceiver::restart`] starts it there later.
    pub fn stopped(cert: &Path, key: &Path) -> WebhookReceiver {
        WebhookReceiver {
            port: free_port(),
            dir: tempfile::tempdir().expect("a directory for the deliveries"),
            cert: cert.to_owned(),
            key: key.to_owned(),
            delay_secs: 0,
            status: 200,
            child: None,
        }
    }

    /// Holds back each answer `secs` seconds, after the delivery is recorded (a sender that gives
    /// up meanwhile has delivered without learning it), from the next (re)start on.
    pub fn with_delay(self, secs: u32) -> WebhookReceiver {
        WebhookReceiver {
            delay_secs: secs,
            ..self
        }
    }

    /// Answers every POST with `code`, from the next (re)start on.
    pub fn with_status(self, code: u16) -> WebhookReceiver {
        WebhookReceiver {
            status: code,
            ..self
        }
    }

    /// (Re)starts the receiver on its port, with its current delay and status; a running one is
    /// stopped first.
    pub async fn restart(&mut self) {
        self.stop().await;
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("webhooks/receiver.py");
        let mut child = Command::new(python())
            .arg(script)
            .args(["--port", &self.port.to_string()])
            .args(["--delay", &self.delay_secs.to_string()])
            .args(["--status", &self.status.to_string()])
            .arg("--cert")
            .arg(&self.cert)
            .arg("--key")
            .arg(&self.key)
            .arg("--out")
            .arg(self.deliveries())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the test webhook receiver (python3; `cargo xtask test` sets VESTIBULE_PY_BIN)");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.expect("read") {
                if line.starts_with("ready") {
                    return;
                }
            }
            panic!("the webhook receiver exited before it was ready (see its stderr above)");
        })
        .await
        .expect("the webhook receiver did not start within 30 s");
        self.child = Some(child);
    }

    /// Stops the receiver; its port refuses connections until [`WebhookReceiver::restart`].
    pub async fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill().await;
        }
    }

    /// `https://localhost:<port><path>`; `path` starts with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port)
    }

    /// The deliveries so far, oldest first: `{"path", "method", "headers": {lowercased name:
    /// value}, "body": UTF-8 text, "body_b64": exact bytes, "received_at": unix seconds}`.
    pub fn records(&self) -> Vec<Value> {
        let text = match std::fs::read_to_string(self.deliveries()) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
            Err(e) => panic!("reading the webhook deliveries: {e}"),
        };
        // A last line without its newline is still being written.
        let complete = text.rfind('\n').map_or("", |end| &text[..end]);
        complete
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("a delivery, as receiver.py records it"))
            .collect()
    }

    /// Waits until at least `n` deliveries arrived; returns them all, oldest first.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Value> {
        crate::wait_until(
            &format!("{n} webhook deliveries arrived at {}", self.url("/")),
            within,
            async || Some(self.records()).filter(|got| got.len() >= n),
        )
        .await
    }

    /// Runs `tests/webhooks/check.py <mode>` on the deliveries so far and returns its summary.
    /// `mode` is `standard` (every delivery verifies with each of `secrets`, the Standard
    /// Webhooks `whsec_…` secrets: give both during a rotation), `slack` or `teams` (`secrets`
    /// unused). Run it soon after the deliveries arrived: the reference library refuses a
    /// signature timestamp more than 5 minutes old.
    ///
    /// # Panics
    /// When any delivery fails a check, with check.py's summary (its `failures`) and stderr.
    pub async fn check(&self, mode: &str, secrets: &[&str]) -> Value {
        check_file(&self.deliveries(), mode, secrets).await
    }

    /// [`WebhookReceiver::check`] of the newest delivery alone.
    pub async fn check_last(&self, mode: &str, secrets: &[&str]) -> Value {
        let last = self.records().pop().expect("a delivery");
        let file = self.dir.path().join("last.jsonl");
        std::fs::write(&file, format!("{last}\n")).expect("write the last delivery");
        check_file(&file, mode, secrets).await
    }

    fn deliveries(&self) -> PathBuf {
        self.dir.path().join("deliveries.jsonl")
    }
}

/// Runs `tests/webhooks/check.py <mode>` on the deliveries in `file`.
async fn check_file(file: &Path, mode: &str, secrets: &[&str]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("webhooks/check.py");
    let mut cmd = Command::new(python());
    cmd.arg(script).arg(mode).arg("--file").arg(file);
    if mode == "standard" {
        for s in secrets {
            cmd.args(["--secret", s]);
        }
    }
    let out = cmd
            .kill_on_drop(true)
            .output()
            .await
            .expect("run tests/webhooks/check.py (python3 with standardwebhooks; `cargo xtask test` installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "check.py {mode} failed ({}):\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).expect("check.py prints a JSON summary")
}
