//! Label printers for the badge tests. [`IppPrinter`] is CUPS' IPP Everywhere printer
//! (`ippeveprinter`, Debian's cups-ipp-utils) keeping every job it receives as a file; it needs a
//! D-Bus to start (its DNS-SD client), so it gets a private bus of its own, and DNS-SD
//! advertising is off. [`RawPrinter`] is a Brother QL's raw port: it keeps the bytes of each
//! connection. [`closed_port`] is a printer that is switched off.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{io::AsyncReadExt as _, net::TcpListener};

use crate::wait_until;

/// A port on which nothing listens (bound, then let go).
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// `ippeveprinter` taking PDFs on a port of its own and keeping them in a temporary folder.
pub struct IppPrinter {
    /// `ipp://127.0.0.1:<port>/ipp/print`
    pub url: String,
    dir: tempfile::TempDir,
    bus: Child,
    printer: Child,
}

impl IppPrinter {
    /// Starts the printer and waits until it answers on its port.
    pub async fn start() -> IppPrinter {
        let dir = tempfile::tempdir().expect("tempdir");
        let (bus, address) = crate::keychain::private_bus();
        let port = closed_port();
        let spool = dir.path().join("spool");
        std::fs::create_dir(&spool).expect("spool dir");
        let printer = Command::new("ippeveprinter")
            // No advertising; PDFs; keep each job; "print" it with `true` (without a command
            // it pretends to print for 5 to 15 s, busy meanwhile).
            .args(["-r", "off", "-n", "localhost", "-f", "application/pdf", "-k", "-c", "/bin/true"])
            .arg("-p")
            .arg(port.to_string())
            .arg("-d")
            .arg(&spool)
            .arg(format!("Badges {port}"))
            .env("DBUS_SYSTEM_BUS_ADDRESS", address)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ippeveprinter (Debian: cups-ipp-utils) must be installed; `cargo xtask test` installs it");
        let p = IppPrinter {
            url: format!("ipp://127.0.0.1:{port}/ipp/print"),
            dir,
            bus,
            printer,
        };
        wait_until(
            "the IPP printer listens",
            Duration::from_secs(20),
            async || {
                tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .ok()
                    .map(|_| ())
            },
        )
        .await;
        p
    }

    /// The documents it kept, oldest first (complete: a job's file appears once it is printed).
    pub fn jobs(&self) -> Vec<PathBuf> {
        let mut files: Vec<(std::time::SystemTime, PathBuf)> =
            std::fs::read_dir(self.dir.path().join("spool"))
                .map(|d| {
                    d.filter_map(Result::ok)
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
                        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
                        .collect()
                })
                .unwrap_or_default();
        files.sort();
        files.into_iter().map(|(_, p)| p).collect()
    }

    /// Waits until it has kept `n` documents; returns them.
    pub async fn wait_for_jobs(&self, n: usize) -> Vec<PathBuf> {
        wait_until(
            &format!("the IPP printer kept {n} jobs"),
            Duration::from_secs(30),
            async || {
                let jobs = self.jobs();
                (jobs.len() >= n).then_some(jobs)
            },
        )
        .await
    }
}

impl Drop for IppPrinter {
    fn drop(&mut self) {
        let _ = self.printer.kill();
        let _ = self.printer.wait();
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}

/// A Brother QL's raw socket (port 9100): each connection's bytes, kept in order.
pub struct RawPrinter {
    /// `socket://127.0.0.1:<port>`
    pub url: String,
    jobs: Arc<Mutex<Vec<Vec<u8>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RawPrinter {
    pub async fn start() -> RawPrinter {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let jobs = Arc::new(Mutex::new(Vec::new()));
        let kept = jobs.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let mut job = Vec::new();
                    if stream.read_to_end(&mut job).await.is_ok() {
                        kept.lock().expect("jobs").push(job);
                    }
                });
            }
        });
        RawPrinter {
            url: format!("socket://127.0.0.1:{port}"),
            jobs,
            task,
        }
    }

    /// Waits until it has received `n` jobs; returns them.
    pub async fn wait_for_jobs(&self, n: usize) -> Vec<Vec<u8>> {
        wait_until(
            &format!("the raw printer received {n} jobs"),
            Duration::from_secs(30),
            async || {
                let jobs = self.jobs.lock().expect("jobs").clone();
                (jobs.len() >= n).then_some(jobs)
            },
        )
        .await
    }
}

impl Drop for RawPrinter {
    fn drop(&mut self) {
        self.task.abort();
    }
}
