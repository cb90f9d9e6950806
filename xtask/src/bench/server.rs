//! The server under benchmark: the release binary on a loopback port with a data dir (and
//! PostgreSQL database) of the bench's own, limits raised so the load generator is never
//! throttled; tenants and their admins made through the API (see `setup.rs` for the rest), and
//! `/metrics` read with an operator token.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use anyhow::{Context, bail};
use reqwest::Client;
use serde_json::json;
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};

use crate::demo::{client, post};

/// The password of every user the bench makes.
pub const PASSWORD: &str = "bench-password-1";

pub struct BenchServer {
    child: Child,
    stopped: bool,
    bin: PathBuf,
    storage: Vec<String>,
    pub base: String,
    cert: PathBuf,
    /// One kept-alive connection for polling `/metrics`.
    poll: Client,
}

impl BenchServer {
    pub async fn start(
        bin: &Path,
        dir: &Path,
        pg: Option<&str>,
        flags: &[&str],
    ) -> anyhow::Result<BenchServer> {
        let mut storage = vec!["--data-dir".to_owned(), dir.display().to_string()];
        if let Some(url) = pg {
            storage.extend(["--database-url".to_owned(), url.to_owned()]);
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("server.log"))?;
        let mut child = Command::new(bin)
            .arg("serve")
            .args(&storage)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--rate-per-ip",
                "100000000",
                "--rate-per-device",
                "100000000",
            ])
            .args(["--sign-in-per-minute", "100000"])
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .context("starting vestibule-server")?;
        let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
        let port = loop {
            match lines.next() {
                Some(line) => {
                    if let Some(addr) = line?.strip_prefix("listening on https://") {
                        break addr
                            .rsplit_once(':')
                            .map(|(_, p)| p.to_owned())
                            .context("a port")?;
                    }
                }
                None => bail!(
                    "the server stopped before listening; see {}",
                    dir.join("server.log").display()
                ),
            }
        };
        Ok(BenchServer {
            child,
            stopped: false,
            bin: bin.to_owned(),
            storage,
            base: format!("https://localhost:{port}"),
            cert: dir.join("tls/cert.pem"),
            poll: client(&dir.join("tls/cert.pem"))?,
        })
    }

    /// An operator token, and the `bench` tenant (business plan) with its admin, made through the
    /// API: `(operator token, tenant id)`.
    pub async fn tenant(&self) -> anyhow::Result<(String, String)> {
        let op = self.operator_token()?;
        let tid = self.create_tenant(&op, "bench").await?;
        Ok((op, tid))
    }

    /// A fresh platform-operator token (the `operator-token` command on the server's storage).
    pub fn operator_token(&self) -> anyhow::Result<String> {
        let out = Command::new(&self.bin)
            .arg("operator-token")
            .args(&self.storage)
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "operator-token failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .context("no token")?
            .trim()
            .to_owned())
    }

    /// Tenant `slug` (business plan) with its admin `admin@<slug>.test`; its id.
    pub async fn create_tenant(&self, op: &str, slug: &str) -> anyhow::Result<String> {
        let c = self.client()?;
        let tenant = post(
            &c,
            format!("{}/api/v1/operator/tenants", self.base),
            op,
            json!({"slug": slug, "name": slug, "plan": "business"}),
        )
        .await?;
        let tid = tenant["id"].as_str().context("tenant id")?.to_owned();
        self.create_user(op, &tid, &format!("admin@{slug}.test"), PASSWORD)
            .await?;
        Ok(tid)
    }

    /// A client that trusts this server's certificate.
    pub fn client(&self) -> anyhow::Result<Client> {
        client(&self.cert)
    }

    /// The server's TLS certificate and key (PEM files), which the SMTP sink reuses.
    pub fn cert_and_key(&self) -> (PathBuf, PathBuf) {
        (self.cert.clone(), self.cert.with_file_name("key.pem"))
    }

    /// The server's process id (for its CPU share).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// An admin of tenant `tid`, made by the operator.
    pub async fn create_user(
        &self,
        op: &str,
        tid: &str,
        email: &str,
        password: &str,
    ) -> anyhow::Result<()> {
        let user =
            json!({"email": email, "name": "Bench Admin", "role": "admin", "password": password});
        let url = format!("{}/api/v1/operator/tenants/{tid}/users", self.base);
        post(&self.client()?, url, op, user).await?;
        Ok(())
    }

    /// A session token of the user `email` of tenant `slug`, signed in over `c`.
    pub async fn login(
        &self,
        c: &Client,
        slug: &str,
        email: &str,
        password: &str,
    ) -> anyhow::Result<String> {
        let login = json!({"tenant": slug, "email": email, "password": password});
        let session: serde_json::Value = c
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&login)
            .send()
            .await?
            .json()
            .await?;
        Ok(session["token"].as_str().context("login")?.to_owned())
    }

    /// `GET /metrics` (Prometheus text) with the operator token `op`.
    pub async fn metrics(&self, op: &str) -> anyhow::Result<String> {
        let res = self
            .poll
            .get(format!("{}/metrics", self.base))
            .bearer_auth(op)
            .send()
            .await?;
        let status = res.status();
        anyhow::ensure!(status.is_success(), "GET /metrics: {status}");
        Ok(res.text().await?)
    }

    /// SIGTERM, then waits for the process.
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        let _ = Command::new("kill")
            .args(["-s", "TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        self.stopped = true;
    }
}

/// A run that failed half-way still stops its server.
impl Drop for BenchServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A database of the bench's own on the local PostgreSQL server.
pub struct PgDatabase {
    pub url: String,
    admin: String,
    name: String,
}

impl PgDatabase {
    pub async fn create() -> anyhow::Result<PgDatabase> {
        let admin = std::env::var("VESTIBULE_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("vestibule_bench_{}", std::process::id());
        let mut c = PgConnection::connect(&admin)
            .await
            .with_context(|| format!("connecting to {admin}"))?;
        c.execute(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
            .await?;
        c.execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await?;
        c.close().await?;
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Ok(PgDatabase {
            url: format!("{base}/{name}?sslmode=disable"),
            admin,
            name,
        })
    }

    /// Refreshes the planner's statistics of the database at `url`. The bench's tables grow from
    /// empty to tens of thousands of rows in seconds, and a statement prepared while a table was
    /// empty keeps a plan that scans it; a server in use has autovacuum's statistics (it analyses
    /// a table once a minute at most, once enough of it changed).
    pub async fn analyze(url: &str) -> anyhow::Result<()> {
        Self::run(url, "ANALYZE").await
    }

    /// What autovacuum does to a table that grew, besides [`Self::analyze`]: sets the
    /// visibility map, which lets index-only scans skip the table.
    pub async fn vacuum(url: &str) -> anyhow::Result<()> {
        Self::run(url, "VACUUM (ANALYZE)").await
    }

    async fn run(url: &str, sql: &'static str) -> anyhow::Result<()> {
        let mut c = PgConnection::connect(url).await?;
        c.execute(sql).await?;
        c.close().await?;
        Ok(())
    }

    pub async fn drop_it(self) {
        if let Ok(mut c) = PgConnection::connect(&self.admin).await {
            let _ = c
                .execute(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                )))
                .await;
        }
    }
}
