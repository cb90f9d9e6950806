//! The real `vestibule-server` binary, started on a random loopback port with a fresh data dir
//! (and a fresh PostgreSQL database when asked), reached over TLS by a client that trusts exactly
//! the server's self-signed certificate. [`TestServer::start_in_process`] runs the same server
//! inside the test process instead, on a [`Clock`] the test moves forward to let time pass.

use std::{path::PathBuf, process::Stdio, sync::Arc, time::Duration};

// `::server` is the server crate (its library is named so), not this module.
use ::server::{
    cli::{Serving, serve_in_process},
    clock::Clock,
};
use rustls::{
    RootCertStore, SupportedProtocolVersion,
    pki_types::{CertificateDer, pem::PemObject},
};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use crate::{api::Api, pg::TestDb};

/// Which storage engine a server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The path of the server binary: `VESTIBULE_SERVER_BIN` (set by `cargo xtask test`), else the
/// workspace's debug build, brought up to date first with the same target selection as
/// `cargo xtask test` uses (so that feature unification does not force a rebuild each time).
pub fn server_bin() -> PathBuf {
    if let Ok(p) = std::env::var("VESTIBULE_SERVER_BIN") {
        return PathBuf::from(p);
    }
    static BUILT: std::sync::Once = std::sync::Once::new();
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    BUILT.call_once(|| {
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--workspace", "--all-targets"])
            .current_dir(&workspace)
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building vestibule-server failed");
    });
    let target =
        std::env::var("CARGO_TARGET_DIR").map_or_else(|_| workspace.join("target"), PathBuf::from);
    target.join("debug").join("vestibule-server")
}

/// A client of `base` that trusts exactly the certificates in `cert_pem`, with these TLS versions.
fn pinned_api(
    cert_pem: &[u8],
    versions: &[&'static SupportedProtocolVersion],
    builder: reqwest::ClientBuilder,
    base: String,
) -> Result<Api, rustls::Error> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(cert_pem) {
        roots.add(cert.expect("PEM certificate"))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(versions)?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let client = builder
        .tls_backend_preconfigured(config)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("reqwest client");
    Ok(Api::new(client, base))
}

/// A client of a server on `127.0.0.1:port` (a container's published port, a load balancer)
/// under the name `name`, trusting exactly `cert_pem`.
pub fn api_at_name(cert_pem: &[u8], name: &str, port: u16) -> Api {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    pinned_api(
        cert_pem,
        &[&rustls::version::TLS13, &rustls::version::TLS12],
        reqwest::Client::builder().resolve(name, addr),
        format!("https://{name}:{port}"),
    )
    .expect("client")
}

/// A running server and what it takes to talk to it.
pub struct TestServer {
    pub engine: Engine,
    pub port: u16,
    pub operator_token: String,
    pub data_dir: tempfile::TempDir,
    pub db: Option<TestDb>,
    /// The `--data-dir` (and `--database-url`) arguments.
    pub storage: Vec<String>,
    /// Extra `serve` flags.
    pub serve_flags: Vec<String>,
    /// Environment variables every command of this server runs with.
    pub env: Vec<(String, String)>,
    running: Running,
    /// The clock of a server run in-process.
    clock: Option<Clock>,
}

/// How a [`TestServer`] runs.
enum Running {
    /// The `vestibule-server` binary, as a child process.
    Process(Child),
    /// Inside the test process; `None` once stopped.
    InProcess(Option<Serving>),
}

/// What the harness relaxes for every server: tests drive many requests through one address and
/// one device as fast as they can. A process gets them as environment variables, which its flags
/// (the shield's own tests set their limits) win over; an in-process server as flags.
const RELAXED_LIMITS: [(&str, &str, &str); 3] = [
    ("VESTIBULE_RATE_PER_IP", "--rate-per-ip", "1000000"),
    ("VESTIBULE_RATE_PER_DEVICE", "--rate-per-device", "1000000"),
    (
        "VESTIBULE_SIGN_IN_PER_MINUTE",
        "--sign-in-per-minute",
        "1000000",
    ),
];

impl TestServer {
    /// Starts a server on `engine` with a new data dir (and database).
    pub async fn start(engine: Engine) -> TestServer {
        Self::start_with(engine, &[]).await
    }

    /// Starts a server with extra `serve` flags.
    pub async fn start_with(engine: Engine, serve_flags: &[&str]) -> TestServer {
        Self::start_env(engine, serve_flags, Vec::new()).await
    }

    /// Starts a server with extra `serve` flags and environment variables.
    pub async fn start_env(
        engine: Engine,
        serve_flags: &[&str],
        env: Vec<(String, String)>,
    ) -> TestServer {
        let db = match engine {
            Engine::Sqlite => None,
            Engine::Postgres => Some(TestDb::create().await),
        };
        let url = db.as_ref().map(|d| d.url.clone());
        Self::launch(engine, db, url, serve_flags, env, None, None).await
    }

    /// Starts a server on storage that already exists: the data dir `data_dir` (its SQLite
    /// database and master key) and, for PostgreSQL, the database `db`.
    pub async fn start_existing(data_dir: tempfile::TempDir, db: Option<TestDb>) -> TestServer {
        let engine = if db.is_some() {
            Engine::Postgres
        } else {
            Engine::Sqlite
        };
        let url = db.as_ref().map(|d| d.url.clone());
        Self::launch(engine, db, url, &[], Vec::new(), None, Some(data_dir)).await
    }

    /// Starts a server on the PostgreSQL database at `url` (a private cluster, say).
    pub async fn start_on_url(url: String, serve_flags: &[&str]) -> TestServer {
        Self::launch(
            Engine::Postgres,
            None,
            Some(url),
            serve_flags,
            Vec::new(),
            None,
            None,
        )
        .await
    }

    /// Starts the server inside the test process (same flags, data dir and TLS client; the
    /// operator token still comes from the binary's `operator-token`), on a clock that starts at
    /// the system's time: the test lets time pass with [`Clock::advance`] instead of sleeping.
    /// It has no log and no process to signal ([`TestServer::kill`] stops it gracefully).
    pub async fn start_in_process(engine: Engine, serve_flags: &[&str]) -> (TestServer, Clock) {
        let db = match engine {
            Engine::Sqlite => None,
            Engine::Postgres => Some(TestDb::create().await),
        };
        let url = db.as_ref().map(|d| d.url.clone());
        let clock = Clock::system();
        let server = Self::launch(
            engine,
            db,
            url,
            serve_flags,
            Vec::new(),
            Some(clock.clone()),
            None,
        )
        .await;
        (server, clock)
    }

    async fn launch(
        engine: Engine,
        db: Option<TestDb>,
        url: Option<String>,
        serve_flags: &[&str],
        mut env: Vec<(String, String)>,
        clock: Option<Clock>,
        data_dir: Option<tempfile::TempDir>,
    ) -> TestServer {
        for (var, _, value) in RELAXED_LIMITS {
            if !env.iter().any(|(name, _)| name == var) {
                env.push((var.to_owned(), value.to_owned()));
            }
        }
        let data_dir = data_dir.unwrap_or_else(|| tempfile::tempdir().expect("tempdir"));
        let mut storage = vec![
            "--data-dir".to_owned(),
            data_dir.path().display().to_string(),
        ];
        if let Some(url) = url {
            storage.extend(["--database-url".to_owned(), url]);
        }
        let out = Command::new(server_bin())
            .arg("operator-token")
            .args(&storage)
            .envs(env.iter().cloned())
            .output()
            .await
            .expect("run operator-token");
        assert!(
            out.status.success(),
            "operator-token failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let operator_token = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .expect("a token line")
            .trim()
            .to_owned();
        let serve_flags: Vec<String> = serve_flags.iter().map(|f| (*f).to_owned()).collect();
        let mut server = TestServer {
            engine,
            port: 0,
            operator_token,
            data_dir,
            db,
            storage,
            serve_flags,
            env,
            running: Running::InProcess(None),
            clock,
        };
        server.restart().await;
        server
    }

    /// Runs another `vestibule-server` command (`keys status`, say) on this server's storage;
    /// returns its stdout, and fails the test if it fails.
    pub async fn command(&self, args: &[&str]) -> String {
        let out = self
            .command_child(args)
            .output()
            .await
            .expect("run vestibule-server");
        assert!(
            out.status.success(),
            "vestibule-server {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A `vestibule-server` command on this server's storage, ready to spawn.
    pub fn command_child(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(server_bin());
        cmd.args(args)
            .args(&self.storage)
            .envs(self.env.iter().cloned())
            .kill_on_drop(true);
        cmd
    }

    async fn spawn(
        serve_args: &[String],
        env: &[(String, String)],
        data_dir: &std::path::Path,
        listen: &str,
    ) -> (Child, u16) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data_dir.join("server.log"))
            .expect("log file");
        let mut child = Command::new(server_bin())
            .arg("serve")
            .args(serve_args)
            .args(["--listen", listen])
            .envs(env.iter().cloned())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("spawn vestibule-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let port = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.expect("read stdout") {
                if let Some(addr) = line.strip_prefix("listening on https://") {
                    return addr
                        .rsplit_once(':')
                        .and_then(|(_, p)| p.parse::<u16>().ok())
                        .expect("a port");
                }
            }
            panic!(
                "the server exited before listening; see {}",
                data_dir.join("server.log").display()
            )
        })
        .await
        .expect("the server did not start within 60 s");
        (child, port)
    }

    /// The server's log so far (its stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("server.log")).unwrap_or_default()
    }

    /// The PEM of the certificate the server serves.
    pub fn cert_pem(&self) -> Vec<u8> {
        std::fs::read(self.data_dir.path().join("tls/cert.pem")).expect("the server's certificate")
    }

    /// The `https://localhost:<port>` base URL.
    pub fn base(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    /// A client that trusts exactly the server's certificate, TLS 1.2 and 1.3.
    pub fn api(&self) -> Api {
        self.api_with(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .expect("client")
    }

    /// A raw TLS connection to the server (for requests no HTTP client would send).
    pub async fn raw_tls(&self) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
        let mut roots = RootCertStore::empty();
        for c in CertificateDer::pem_slice_iter(&self.cert_pem()) {
            roots.add(c.expect("cert")).expect("root");
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect");
        let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
        tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .expect("handshake")
    }

    /// A client limited to the given TLS versions.
    pub fn api_with(
        &self,
        versions: &[&'static SupportedProtocolVersion],
    ) -> Result<Api, rustls::Error> {
        pinned_api(
            &self.cert_pem(),
            versions,
            reqwest::Client::builder(),
            self.base(),
        )
    }

    /// Stops the server (SIGKILL; gracefully if in-process) and waits for it.
    pub async fn kill(&mut self) {
        match &mut self.running {
            Running::Process(child) => {
                let _ = child.kill().await;
            }
            Running::InProcess(serving) => {
                if let Some(serving) = serving.take() {
                    serving.stop().await.expect("the in-process server stops");
                }
            }
        }
    }

    /// The server's process; fails the test for a server run in-process.
    fn process(&mut self) -> &mut Child {
        match &mut self.running {
            Running::Process(child) => child,
            Running::InProcess(_) => {
                panic!("this test needs a server process, not an in-process one")
            }
        }
    }

    /// Sends SIGTERM: the server starts its graceful shutdown.
    pub async fn sigterm(&mut self) {
        signal(self.process(), "TERM").await;
    }

    /// Waits (a minute at most) for the process to exit.
    pub async fn wait_exit(&mut self) -> std::process::ExitStatus {
        tokio::time::timeout(Duration::from_secs(60), self.process().wait())
            .await
            .expect("the server exits in time")
            .expect("wait")
    }

    /// Whether the server is still running.
    pub fn is_running(&mut self) -> bool {
        match &mut self.running {
            Running::Process(child) => child.try_wait().expect("try_wait").is_none(),
            Running::InProcess(serving) => serving.is_some(),
        }
    }

    /// Starts another `serve` process on the same storage (a replica, for PostgreSQL), on a port
    /// of its own, with the same data dir (certificate and master key).
    pub async fn replica(&self) -> Replica {
        let (child, port) = Self::spawn(
            &self.serve_args(),
            &self.env,
            self.data_dir.path(),
            "127.0.0.1:0",
        )
        .await;
        Replica { child, port }
    }

    /// A client of `port`, trusting this server's certificate (a replica serves the same one).
    pub fn api_at(&self, port: u16) -> Api {
        let mut api = self.api();
        api.base = format!("https://localhost:{port}");
        api
    }

    /// Starts the server (again, after [`TestServer::kill`]) on the same data; a new port.
    pub async fn restart(&mut self) {
        self.restart_at("127.0.0.1:0").await;
    }

    /// Starts the server again on the same data and the same port (clients keep their URL).
    pub async fn restart_same_port(&mut self) {
        self.restart_at(&format!("127.0.0.1:{}", self.port)).await;
    }

    async fn restart_at(&mut self, listen: &str) {
        let Some(clock) = &self.clock else {
            let (child, port) =
                Self::spawn(&self.serve_args(), &self.env, self.data_dir.path(), listen).await;
            (self.running, self.port) = (Running::Process(child), port);
            return;
        };
        let serving = self.serve_in_process(clock.clone(), listen).await;
        self.port = serving.addr.port();
        self.running = Running::InProcess(Some(serving));
    }

    /// Another server inside this process on the same storage and clock (a replica, for
    /// PostgreSQL), for a server started with [`TestServer::start_in_process`].
    pub async fn replica_in_process(&self) -> Serving {
        let clock = self.clock.clone().expect("a server started in-process");
        self.serve_in_process(clock, "127.0.0.1:0").await
    }

    /// The storage flags and the test's serve flags.
    fn serve_args(&self) -> Vec<String> {
        self.storage
            .iter()
            .chain(&self.serve_flags)
            .cloned()
            .collect()
    }

    async fn serve_in_process(&self, clock: Clock, listen: &str) -> Serving {
        let mut serve_args = self.serve_args();
        for (_, flag, value) in RELAXED_LIMITS {
            if !serve_args.iter().any(|a| a == flag) {
                serve_args.extend([flag.to_owned(), value.to_owned()]);
            }
        }
        serve_args.extend(["--listen".to_owned(), listen.to_owned()]);
        serve_in_process(serve_args, clock)
            .await
            .expect("start the server in-process")
    }
}

/// Another server process on the same storage.
pub struct Replica {
    pub port: u16,
    child: Child,
}

impl Replica {
    /// Stops it (SIGKILL) and waits for it.
    pub async fn kill(&mut self) {
        let _ = self.child.kill().await;
    }
}

async fn signal(child: &Child, name: &str) {
    let pid = child.id().expect("the server is running").to_string();
    let status = Command::new("kill")
        .args(["-s", name, &pid])
        .status()
        .await
        .expect("run kill");
    assert!(status.success(), "kill -s {name} {pid} failed");
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- last lines of the server log ---");
            tail.iter().rev().for_each(|l| eprintln!("{l}"));
        }
    }
}
