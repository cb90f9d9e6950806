//! A real SMTP server with TLS for the mail tests: `tests/smtp/smtp_server.py` (aiosmtpd, from
//! PyPI, installed by `cargo xtask test`) in a child process. Messages land in a maildir, one
//! `.eml` file each, written before the server answers the final DATA.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

/// How the SMTP server secures its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpMode {
    /// Implicit TLS.
    Tls,
    /// STARTTLS, required.
    Starttls,
    /// No STARTTLS offered.
    Plain,
}

impl SmtpMode {
    fn arg(self) -> &'static str {
        match self {
            SmtpMode::Tls => "tls",
            SmtpMode::Starttls => "starttls",
            SmtpMode::Plain => "plain",
        }
    }
}

/// The account the test SMTP server accepts.
pub const SMTP_USER: &str = "mailer";
pub const SMTP_PASSWORD: &str = "mail-password-1";

/// The Python interpreter with the test tools: `$VESTIBULE_PY_BIN/python3`, else `python3`.
pub fn python() -> PathBuf {
    std::env::var_os("VESTIBULE_PY_BIN").map_or_else(
        || PathBuf::from("python3"),
        |d| PathBuf::from(d).join("python3"),
    )
}

pub struct SmtpServer {
    pub port: u16,
    pub mode: SmtpMode,
    pub maildir: tempfile::TempDir,
    cert: PathBuf,
    key: PathBuf,
    hold_secs: u32,
    child: Option<Child>,
}

impl SmtpServer {
    /// Starts a server on a free port with the certificate and key files given; it holds back its
    /// answer to each message's DATA for `hold_secs`.
    pub async fn start(mode: SmtpMode, cert: &Path, key: &Path, hold_secs: u32) -> SmtpServer {
        let mut s = SmtpServer {
            hold_secs,
            ..Self::stopped(mode, cert, key)
        };
        s.restart().await;
        s
    }

    /// A port with no SMTP server yet; [`SmtpServer::restart`] starts it there later.
    pub fn stopped(mode: SmtpMode, cert: &Path, key: &Path) -> SmtpServer {
        SmtpServer {
            port: free_port(),
            mode,
            maildir: tempfile::tempdir().expect("maildir"),
            cert: cert.to_owned(),
            key: key.to_owned(),
            hold_secs: 0,
            child: None,
        }
    }

    /// (Re)starts the server on its port.
    pub async fn restart(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("smtp/smtp_server.py");
        let mut child = Command::new(python())
            .arg(script)
            .args(["--port", &self.port.to_string(), "--mode", self.mode.arg(), "--hold", &self.hold_secs.to_string()])
            .arg("--cert")
            .arg(&self.cert)
            .arg("--key")
            .arg(&self.key)
            .arg("--maildir")
            .arg(self.maildir.path())
            .args(["--user", SMTP_USER, "--password", SMTP_PASSWORD])
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the test SMTP server (python3 with aiosmtpd; `cargo xtask test` installs it)");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.expect("read") {
                if line.starts_with("ready") {
                    return;
                }
            }
            panic!("the SMTP server exited before it was ready (is aiosmtpd installed?)");
        })
        .await
        .expect("the SMTP server did not start within 30 s");
        self.child = Some(child);
    }

    pub async fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill().await;
        }
    }

    /// The messages received so far, oldest first.
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(self.maildir.path())
            .expect("maildir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .filter_map(|p| {
                p.file_stem()?
                    .to_str()?
                    .parse()
                    .ok()
                    .map(|n| (n, p.clone()))
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(_, p)| std::fs::read_to_string(p).expect("message"))
            .collect()
    }

    /// Waits until at least `n` messages arrived; returns them.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<String> {
        crate::wait_until(&format!("{n} messages arrived"), within, async || {
            Some(self.messages()).filter(|got| got.len() >= n)
        })
        .await
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}
