//! A PostgreSQL server of the test's own (a fresh cluster in a temp dir, on a port of its own) that
//! the test may stop and start again, so the shared server on 5432 is never taken away from other
//! tests. Built with the machine's `initdb` and `pg_ctl` (run as the `postgres` user when the test
//! runs as root, since PostgreSQL refuses to run as root).

use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// A running private cluster; stopped when dropped.
pub struct PrivatePg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

fn bin_dir() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .filter(|b| b.join("pg_ctl").exists())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    if let Some(b) = found.pop() {
        return b;
    }
    let out = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .expect("PostgreSQL's server binaries (initdb, pg_ctl) are needed");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// Runs a PostgreSQL tool, as `postgres` when we are root.
fn run(tool: &Path, args: &[&str]) {
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(tool);
        c
    } else {
        Command::new(tool)
    };
    let out = cmd
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", tool.display()));
    assert!(
        out.status.success(),
        "{} {args:?} failed: {}{}",
        tool.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl PrivatePg {
    /// Makes and starts a new cluster with trust auth for `postgres` on loopback.
    pub fn start() -> PrivatePg {
        let dir = tempfile::tempdir().expect("tempdir");
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path())
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "chown of the private cluster's dir failed");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("a free port")
            .local_addr()
            .expect("addr")
            .port();
        let pg = PrivatePg {
            bin: bin_dir(),
            port,
            dir,
        };
        let data = pg.data().display().to_string();
        run(
            &pg.bin.join("initdb"),
            &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"],
        );
        pg.start_again();
        pg
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The URL of database `db` as `postgres`.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{db}?sslmode=disable",
            self.port
        )
    }

    /// Creates database `name` and returns its URL.
    pub async fn create_db(&self, name: &str) -> String {
        use sqlx::{AssertSqlSafe, Connection, Executor};
        let mut c = sqlx::PgConnection::connect(&self.url("postgres"))
            .await
            .expect("connect to the private cluster");
        c.execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("create database");
        c.close().await.ok();
        self.url(name)
    }

    /// Stops the server (fast mode: connections are cut, in-flight transactions roll back).
    pub fn stop(&self) {
        run(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                &self.data().display().to_string(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        );
    }

    /// Starts the (stopped) server again on the same port and data.
    pub fn start_again(&self) {
        let (data, dir) = (
            self.data().display().to_string(),
            self.dir.path().display().to_string(),
        );
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={dir}",
            self.port
        );
        let log = self.dir.path().join("postgres.log").display().to_string();
        run(
            &self.bin.join("pg_ctl"),
            &["-D", &data, "-l", &log, "-o", &options, "-w", "start"],
        );
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let data = self.data().display().to_string();
        let tool = self.bin.join("pg_ctl");
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&tool);
            c
        } else {
            Command::new(&tool)
        };
        let _ = cmd.args(["-D", &data, "-m", "immediate", "stop"]).output();
    }
}
