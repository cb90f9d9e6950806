//! The server under benchmark: the release binary on a loopback port with a data dir (and
//! PostgreSQL database) of the bench's own, limits raised so the load generator is never
//! throttled, and a tenant with one host and one enrolled kiosk per client, made through the API.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use anyhow::{Context, bail};
use reqwest::Client;
use serde_json::json;
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};

use super::load::Kiosk;
use crate::demo::{client, post};

pub struct BenchServer {
    child: Child,
    bin: PathBuf,
    storage: Vec<String>,
    pub base: String,
    cert: PathBuf,
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
            bin: bin.to_owned(),
            storage,
            base: format!("https://localhost:{port}"),
            cert: dir.join("tls/cert.pem"),
        })
    }

    /// An operator token, and the `bench` tenant (business plan) with its admin, made through the
    /// API: `(operator token, tenant id)`.
    pub async fn tenant(&self) -> anyhow::Result<(String, String)> {
        let out = Command::new(&self.bin)
            .arg("operator-token")
            .args(&self.storage)
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "operator-token failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let op = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .context("no token")?
            .trim()
            .to_owned();
        let c = self.client()?;
        let b = &self.base;
        let tenant = post(
            &c,
            format!("{b}/api/v1/operator/tenants"),
            &op,
            json!({"slug": "bench", "name": "Bench", "plan": "business"}),
        )
        .await?;
        let tid = tenant["id"].as_str().context("tenant id")?.to_owned();
        self.create_user(&op, &tid, "admin@bench.test", "bench-password-1")
            .await?;
        Ok((op, tid))
    }

    /// A client that trusts this server's certificate.
    pub fn client(&self) -> anyhow::Result<Client> {
        client(&self.cert)
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

    /// A tenant, a site, a host, and `clients` enrolled kiosks, each with its own connection.
    pub async fn setup(&self, clients: usize) -> anyhow::Result<(Vec<Kiosk>, String)> {
        self.tenant().await?;
        let c = self.client()?;
        let b = &self.base;
        let login =
            json!({"tenant": "bench", "email": "admin@bench.test", "password": "bench-password-1"});
        let session = c
            .post(format!("{b}/api/v1/auth/login"))
            .json(&login)
            .send()
            .await?
            .json::<serde_json::Value>()
            .await?;
        let admin = session["token"]
            .as_str()
            .context("login failed")?
            .to_owned();
        let site = post(
            &c,
            format!("{b}/api/v1/sites"),
            &admin,
            json!({"name": "HQ", "timezone": "Europe/Paris"}),
        )
        .await?;
        let site_id = site["id"].as_str().context("site id")?;
        let host = post(
            &c,
            format!("{b}/api/v1/hosts"),
            &admin,
            json!({"name": "Harriet Host", "email": "harriet@bench.test", "site_id": site_id}),
        )
        .await?;
        let mut kiosks = Vec::with_capacity(clients);
        for i in 0..clients {
            let k = post(
                &c,
                format!("{b}/api/v1/kiosks"),
                &admin,
                json!({"site_id": site_id, "name": format!("Tablet {i}")}),
            )
            .await?;
            let code = k["enrollment_code"].as_str().context("enrollment code")?;
            let enrolled = c
                .post(format!("{b}/api/v1/kiosk/enroll"))
                .json(&json!({"enrollment_code": code}))
                .send()
                .await?;
            let enrolled: serde_json::Value = enrolled.json().await?;
            let device = enrolled["device_token"]
                .as_str()
                .context("device token")?
                .to_owned();
            kiosks.push(Kiosk {
                client: client(&self.cert)?,
                device,
            });
        }
        Ok((kiosks, host["id"].as_str().context("host id")?.to_owned()))
    }

    /// SIGTERM, then waits for the process.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-s", "TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
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
