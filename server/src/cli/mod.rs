//! The `vestibule-server` command line: `serve`, `tls-pin`, `operator-token`, `backup` and `keys`.
//! Every flag can also be given as an environment variable `VESTIBULE_<FLAG>`.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::Context;
use axum_server::tls_rustls::RustlsAcceptor;
use clap::{Args, Parser, Subcommand};

mod keys;

use crate::{
    AppState,
    auth::token::{self, TokenKind},
    crypto::{
        KeySource,
        kek::{KEK_ENV, KEYCHAIN_USER},
    },
    shield::{Shield, ShieldSettings, conn::ConnectionCap},
    state::Settings,
    store::Store,
    tls,
};

#[derive(Debug, Parser)]
#[command(name = "vestibule-server", version, about = "The Vestibule visitor-management server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// How log lines are written to stderr: `text` for people, `json` (one object a line) for a
    /// log pipeline. Neither ever holds personal data.
    #[arg(long, global = true, env = "VESTIBULE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
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
    /// Put a backup in place as the SQLite database of a data dir that has none, and check it opens
    /// with the master key (for PostgreSQL, use pg_restore).
    Restore(Restore),
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
struct Restore {
    #[command(flatten)]
    storage: Storage,
    /// The backup file to restore.
    #[arg(long)]
    from: PathBuf,
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
    /// The first delay before a failed host email is tried again, in seconds (then doubling, up to 30 minutes).
    #[arg(long, env = "VESTIBULE_MAIL_RETRY_SECS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    mail_retry_secs: u32,
    /// How long a host email is tried before it is given up on, in seconds.
    #[arg(long, env = "VESTIBULE_MAIL_GIVE_UP_SECS", default_value_t = 24 * 3600, value_parser = clap::value_parser!(u32).range(1..))]
    mail_give_up_secs: u32,
    /// How long a sender's claim on a host email lasts, in seconds; a process that dies holding
    /// one leaves it to others after this. One send may take half of it.
    #[arg(long, env = "VESTIBULE_MAIL_LEASE_SECS", default_value_t = 120, value_parser = clap::value_parser!(u32).range(2..))]
    mail_lease_secs: u32,
    /// Requests a second allowed per client IP (bursts of 3×).
    #[arg(long, env = "VESTIBULE_RATE_PER_IP", default_value_t = std::num::NonZeroU32::new(200).unwrap_or(std::num::NonZeroU32::MIN))]
    rate_per_ip: std::num::NonZeroU32,
    /// Requests a second allowed per kiosk device token (bursts of 3×).
    #[arg(long, env = "VESTIBULE_RATE_PER_DEVICE", default_value_t = std::num::NonZeroU32::new(20).unwrap_or(std::num::NonZeroU32::MIN))]
    rate_per_device: std::num::NonZeroU32,
    /// Sign-in attempts (password, PIN, enrollment code) allowed a minute per client IP.
    #[arg(long, env = "VESTIBULE_SIGN_IN_PER_MINUTE", default_value_t = std::num::NonZeroU32::new(30).unwrap_or(std::num::NonZeroU32::MIN))]
    sign_in_per_minute: std::num::NonZeroU32,
    /// A reverse proxy whose `X-Forwarded-For` names the client (repeat for several). Any other
    /// peer's `X-Forwarded-For` is ignored.
    #[arg(long = "trusted-proxy", env = "VESTIBULE_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// A client must finish its TLS handshake, and each request's headers, within this many seconds.
    #[arg(long, env = "VESTIBULE_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    header_timeout_secs: u32,
    /// A request must be answered within this many seconds.
    #[arg(long, env = "VESTIBULE_REQUEST_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    request_timeout_secs: u32,
    /// The most connections served at once; more are closed at once.
    #[arg(long, env = "VESTIBULE_MAX_CONNECTIONS", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// SQLite group commit: the most check-ins written in one transaction (1 turns it off: one
    /// transaction per check-in). Ignored on PostgreSQL.
    #[arg(long, env = "VESTIBULE_COMMIT_BATCH_MAX", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1024))]
    commit_batch_max: u32,
    /// On SIGTERM, how long requests in flight may take to finish, in seconds.
    #[arg(long, env = "VESTIBULE_SHUTDOWN_GRACE_SECS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    shutdown_grace_secs: u32,
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
    let logs = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("VESTIBULE_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init(),
        LogFormat::Json => logs.json().flatten_event(true).with_current_span(true).init(),
    }
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
            Command::Restore(args) => restore(args).await,
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
    let store = open_store(&args.storage).await?.with_group_commit(args.commit_batch_max as usize);
    let files = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => tls::CertFiles { cert, key },
        _ => tls::self_signed(&args.storage.data_dir)?,
    };
    let pin = tls::pin_of_file(&files.cert)?;
    let config = axum_server::tls_rustls::RustlsConfig::from_config(tls::server_config(&files)?);
    tracing::info!(%pin, engine = if store.is_postgres() { "postgres" } else { "sqlite" }, "TLS certificate SPKI pin");

    let handle = axum_server::Handle::new();
    tokio::spawn(shutdown_on_signal(handle.clone(), Duration::from_secs(args.shutdown_grace_secs.into())));
    let settings = Settings {
        enrollment_ttl: chrono::Duration::seconds(args.enrollment_ttl_secs.into()),
        session_ttl: chrono::Duration::seconds(args.session_ttl_secs.into()),
        override_idle: chrono::Duration::seconds(args.override_idle_secs.into()),
        ..Settings::default()
    };
    let shield = Shield::new(ShieldSettings {
        per_ip: args.rate_per_ip,
        per_token: args.rate_per_device,
        sign_in_per_minute: args.sign_in_per_minute,
        trusted_proxies: args.trusted_proxies,
        request_timeout: Duration::from_secs(args.request_timeout_secs.into()),
        ..ShieldSettings::default()
    });
    shield.spawn_sweeper();
    let app = crate::app(AppState { store: store.clone(), settings: std::sync::Arc::new(settings), shield });
    let mail = crate::mail::MailSettings {
        retry_base: Duration::from_secs(args.mail_retry_secs.into()),
        give_up: Duration::from_secs(args.mail_give_up_secs.into()),
        lease: Duration::from_secs(args.mail_lease_secs.into()),
        send_timeout: Duration::from_secs((args.mail_lease_secs / 2).into()),
        ..crate::mail::MailSettings::default()
    };
    let (stop_mail, stop) = tokio::sync::watch::channel(false);
    let sender = tokio::spawn(crate::mail::run(store.clone(), mail, stop));
    let header_timeout = Duration::from_secs(args.header_timeout_secs.into());
    let acceptor = RustlsAcceptor::new(config)
        .handshake_timeout(header_timeout)
        .acceptor(ConnectionCap::new(usize::try_from(args.max_connections).unwrap_or(usize::MAX)));
    let mut server = axum_server::bind(args.listen).acceptor(acceptor).first_request_timeout(header_timeout).handle(handle.clone());
    server.http_builder().http1().header_read_timeout(header_timeout);
    let server = server.serve(app.into_make_service_with_connect_info::<SocketAddr>());
    let announce = async {
        if let Some(addr) = handle.listening().await {
            tracing::info!(%addr, "listening");
            // Tests and scripts read this line to learn the port.
            println!("listening on https://{addr}");
        }
    };
    let (served, ()) = tokio::join!(server, announce);
    let _ = stop_mail.send(true);
    let _ = sender.await;
    served.context("serving")?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_on_signal(handle: axum_server::Handle<SocketAddr>, grace: Duration) {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::info!("shutting down");
    handle.graceful_shutdown(Some(grace));
}

async fn restore(args: Restore) -> anyhow::Result<()> {
    create_data_dir(&args.storage.data_dir)?;
    let db = args.storage.data_dir.join("vestibule.db");
    Store::restore_sqlite(&args.from, &db).await?;
    let opened = async {
        let store = open_store(&args.storage).await?;
        let ready = store.readiness().await;
        store.close().await;
        anyhow::Ok(ready?)
    };
    if let Err(e) = opened.await {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        return Err(e.context("the backup does not open with this master key; nothing was restored"));
    }
    println!("restored {} into {}", args.from.display(), args.storage.data_dir.display());
    Ok(())
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
