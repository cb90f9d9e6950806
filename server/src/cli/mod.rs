//! The `vestibule-server` command line: `serve`, `tls-pin`, `operator-token`, `backup`, `restore`,
//! `probe`, `keys` and `seed`.
//! Every flag can also be given as an environment variable `VESTIBULE_<FLAG>`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

mod keys;
mod probe;
mod seed;
mod serve;

pub use serve::{Serving, serve_in_process};

use crate::{
    auth::token::{self, TokenKind},
    crypto::{
        KeySource,
        kek::{KEK_ENV, KEYCHAIN_USER},
    },
    store::Store,
    tls,
};

#[derive(Debug, Parser)]
#[command(
    name = "vestibule-server",
    version,
    about = "The Vestibule visitor-management server"
)]
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
    Serve(serve::Serve),
    /// Print the SPKI pin (`sha256/<base64>`) of the served certificate.
    TlsPin(TlsPin),
    /// Create a platform-operator token and print it once (the last line).
    OperatorToken(Storage),
    /// Write a consistent copy of the SQLite database (for PostgreSQL, use pg_dump).
    Backup(Backup),
    /// Put a backup in place as the SQLite database of a data dir that has none, and check it opens
    /// with the master key (for PostgreSQL, use pg_restore).
    Restore(Restore),
    /// Ask this machine's server whether it is ready (`/readyz`); exit 0 only if it is.
    Probe(probe::Probe),
    /// Key management: status, data-key rotation, master-key rotation.
    #[command(subcommand)]
    Keys(keys::Keys),
    /// Fill the database with made-up tenants and visits (for benchmarks and demos).
    Seed(seed::Seed),
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
pub(super) struct Storage {
    /// Where the SQLite database, TLS certificate and keys live.
    #[arg(long, env = "VESTIBULE_DATA_DIR", default_value = "./vestibule-data")]
    data_dir: PathBuf,
    /// A postgres:// URL; without it the embedded SQLite database in the data dir is used.
    #[arg(long, env = "VESTIBULE_DATABASE_URL")]
    database_url: Option<String>,
    /// The master key (KEK) file; default `<data-dir>/master.key`. `VESTIBULE_MASTER_KEY`
    /// (base64), when set, is used instead of any file or keychain.
    #[arg(
        long,
        env = "VESTIBULE_MASTER_KEY_FILE",
        conflicts_with = "master_key_keychain"
    )]
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
            (_, Some(service)) => KeySource::Keychain {
                service: service.clone(),
                user: KEYCHAIN_USER.to_owned(),
            },
            (Some(f), None) => KeySource::File(f.clone()),
            (None, None) => KeySource::File(self.data_dir.join("master.key")),
        }
    }
}

#[derive(Debug, Args)]
struct TlsPin {
    #[arg(
        long,
        env = "VESTIBULE_DATA_DIR",
        default_value = "./vestibule-data",
        conflicts_with = "cert"
    )]
    data_dir: PathBuf,
    /// A PEM certificate file.
    #[arg(long)]
    cert: Option<PathBuf>,
}

/// Parses the command line and runs it.
pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VESTIBULE_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init(),
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::TlsPin(args) => {
                let cert = match args.cert {
                    Some(c) => c,
                    None => {
                        tls::self_signed(
                            &args.data_dir,
                            crate::clock::Clock::system().now().date_naive(),
                        )?
                        .cert
                    }
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
            Command::Probe(args) => probe::run(args).await,
            Command::Keys(command) => keys::run(command).await,
            Command::Seed(args) => seed::run(args).await,
        }
    })
}

fn create_data_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}

pub(super) async fn open_store(s: &Storage) -> anyhow::Result<Store> {
    create_data_dir(&s.data_dir)?;
    Store::open(s.database_url.as_deref(), &s.data_dir, &s.key_source())
        .await
        .context("opening the database")
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
        return Err(
            e.context("the backup does not open with this master key; nothing was restored")
        );
    }
    println!(
        "restored {} into {}",
        args.from.display(),
        args.storage.data_dir.display()
    );
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
