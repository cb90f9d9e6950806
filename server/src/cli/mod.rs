//! The `vestibule-server` command line: `serve`, `tls-pin`, `operator-token`, `backup` and `keys`.
//! Every flag can also be given as an environment variable `VESTIBULE_<FLAG>`.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

mod keys;

use crate::{
    AppState,
    auth::token::{self, TokenKind},
    crypto::{
        KeySource,
        kek::{KEK_ENV, KEYCHAIN_USER},
    },
    state::Settings,
    store::Store,
    tls,
};

#[derive(Debug, Parser)]
#[command(name = "vestibule-server", version, about = "The Vestibule visitor-management server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API over TLS.
    Serve(Serve),
    /// Print the SPKI pin (`sha256/<base64>`) of the served certificate.
    TlsPin(TlsPin),
    /// Create a platform-operator token and print it once (the last line).
    OperatorToken(Storage),
    /// Write a consistent copy of the SQLite database (for PostgreSQL, use pg_dump).
    Backup(Backup),
    /// Key management: status, data-key rotation, master-key rotation.
    #[command(subcommand)]
    Keys(keys::Keys),
}

#[derive(Debug, Args)]
struct Backup {
    #[arg(long, env = "VESTIBULE_DATA_DIR", default_value = "./vestibule-data")]
    data_dir: PathBuf,
    /// The file to write; it must not exist yet.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Debug, Args)]
struct Storage {
    /// Where the SQLite database, TLS certificate and keys live.
    #[arg(long, env = "VESTIBULE_DATA_DIR", default_value = "./vestibule-data")]
    data_dir: PathBuf,
    /// A postgres:// URL; without it the embedded SQLite database in the data dir is used.
    #[arg(long, env = "VESTIBULE_DATABASE_URL")]
    database_url: Option<String>,
    /// The master key (KEK) file; default `<data-dir>/master.key`. `VESTIBULE_MASTER_KEY`
    /// (base64), when set, is used instead of any file or keychain.
    #[arg(long, env = "VESTIBULE_MASTER_KEY_FILE", conflicts_with = "master_key_keychain")]
    master_key_file: Option<PathBuf>,
    /// Keep the master key in the OS keychain (Secret Service), under this service name.
    #[arg(long, env = "VESTIBULE_MASTER_KEY_KEYCHAIN")]
    master_key_keychain: Option<String>,
}

impl Storage {
    fn key_source(&self) -> KeySource {
        if std::env::var_os(KEK_ENV).is_some() {
            return KeySource::Env(KEK_ENV.to_owned());
        }
        match (&self.master_key_file, &self.master_key_keychain) {
            (_, Some(service)) => KeySource::Keychain { service: service.clone(), user: KEYCHAIN_USER.to_owned() },
            (Some(f), None) => KeySource::File(f.clone()),
            (None, None) => KeySource::File(self.data_dir.join("master.key")),
        }
    }
}

#[derive(Debug, Args)]
struct Serve {
    #[command(flatten)]
    storage: Storage,
    /// The address to listen on (port 0 picks a free port; the chosen one is printed).
    #[arg(long, env = "VESTIBULE_LISTEN", default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// A PEM certificate chain to serve instead of the self-signed one.
    #[arg(long, env = "VESTIBULE_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "VESTIBULE_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// How long a kiosk enrollment code stays valid, in seconds.
    #[arg(long, env = "VESTIBULE_ENROLLMENT_TTL_SECS", default_value_t = 24 * 3600, value_parser = clap::value_parser!(u32).range(1..))]
    enrollment_ttl_secs: u32,
    /// How long a signed-in session lasts, in seconds.
    #[arg(long, env = "VESTIBULE_SESSION_TTL_SECS", default_value_t = 12 * 3600, value_parser = clap::value_parser!(u32).range(1..))]
    session_ttl_secs: u32,
    /// How long an override token lives without use, in seconds.
    #[arg(long, env = "VESTIBULE_OVERRIDE_IDLE_SECS", default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..))]
    override_idle_secs: u32,
}

#[derive(Debug, Args)]
struct TlsPin {
    #[arg(long, env = "VESTIBULE_DATA_DIR", default_value = "./vestibule-data", conflicts_with = "cert")]
    data_dir: PathBuf,
    /// A PEM certificate file.
    #[arg(long)]
    cert: Option<PathBuf>,
}

/// Parses the command line and runs it.
pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("VESTIBULE_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve(args).await,
            Command::TlsPin(args) => {
                let cert = match args.cert {
                    Some(c) => c,
                    None => tls::self_signed(&args.data_dir)?.cert,
                };
                println!("{}", tls::pin_of_file(&cert)?);
                Ok(())
            }
            Command::OperatorToken(args) => operator_token(args).await,
            Command::Backup(args) => {
                Store::backup_sqlite(&args.data_dir.join("vestibule.db"), &args.out).await?;
                println!("backup written to {}", args.out.display());
                Ok(())
            }
            Command::Keys(command) => keys::run(command).await,
        }
    })
}

fn create_data_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).with_context(|| format!("creating {}", dir.display()))
}

async fn open_store(s: &Storage) -> anyhow::Result<Store> {
    create_data_dir(&s.data_dir)?;
    Store::open(s.database_url.as_deref(), &s.data_dir, &s.key_source()).await.context("opening the database")
}

async fn serve(args: Serve) -> anyhow::Result<()> {
    let store = open_store(&args.storage).await?;
    let files = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => tls::CertFiles { cert, key },
        _ => tls::self_signed(&args.storage.data_dir)?,
    };
    let pin = tls::pin_of_file(&files.cert)?;
    let config = axum_server::tls_rustls::RustlsConfig::from_config(tls::server_config(&files)?);
    tracing::info!(%pin, engine = if store.is_postgres() { "postgres" } else { "sqlite" }, "TLS certificate SPKI pin");

    let handle = axum_server::Handle::new();
    tokio::spawn(shutdown_on_signal(handle.clone()));
    let settings = Settings {
        enrollment_ttl: chrono::Duration::seconds(args.enrollment_ttl_secs.into()),
        session_ttl: chrono::Duration::seconds(args.session_ttl_secs.into()),
        override_idle: chrono::Duration::seconds(args.override_idle_secs.into()),
        ..Settings::default()
    };
    let app = crate::app(AppState { store: store.clone(), settings: std::sync::Arc::new(settings) });
    let server =
        axum_server::bind_rustls(args.listen, config).handle(handle.clone()).serve(app.into_make_service_with_connect_info::<SocketAddr>());
    let announce = async {
        if let Some(addr) = handle.listening().await {
            tracing::info!(%addr, "listening");
            // Tests and scripts read this line to learn the port.
            println!("listening on https://{addr}");
        }
    };
    let (served, ()) = tokio::join!(server, announce);
    served.context("serving")?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_on_signal(handle: axum_server::Handle<SocketAddr>) {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::info!("shutting down");
    handle.graceful_shutdown(Some(Duration::from_secs(10)));
}

async fn operator_token(args: Storage) -> anyhow::Result<()> {
    let store = open_store(&args).await?;
    let issued = token::issue(TokenKind::Operator, None);
    let mut tx = store.global(true).await?;
    tx.insert_platform_key("cli", &issued.hash).await?;
    tx.commit().await?;
    store.close().await;
    println!("Platform-operator token (shown once; keep it secret):");
    println!("{}", issued.token.as_str());
    Ok(())
}
