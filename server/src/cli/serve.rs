//! `vestibule-server serve`: its flags, and the server they describe (TLS, the shield's limits,
//! the mail sender, graceful shutdown). [`serve_in_process`] runs the same server inside a test
//! process with a clock the test moves.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::Context;
use axum_server::tls_rustls::RustlsAcceptor;
use clap::{Args, Parser};

use super::{Storage, open_store};
use crate::{
    AppState,
    clock::Clock,
    shield::{
        Shield, ShieldSettings,
        conn::{self, ConnectionCap},
    },
    state::Settings,
    tls,
};

#[derive(Debug, Args)]
pub(super) struct Serve {
    #[command(flatten)]
    pub(super) storage: Storage,
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
    /// Networks webhooks may reach although they are loopback or private (CIDR, comma-separated;
    /// none by default: webhooks go only to public addresses).
    #[arg(long, env = "VESTIBULE_WEBHOOK_ALLOW_NETWORKS", value_delimiter = ',')]
    webhook_allow_network: Vec<ipnet::IpNet>,
    /// The first delay before a failed webhook delivery is tried again, in seconds (then doubling,
    /// up to an hour; given up after a day).
    #[arg(long, env = "VESTIBULE_WEBHOOK_RETRY_SECS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    webhook_retry_secs: u32,
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
    #[arg(
        long = "trusted-proxy",
        env = "VESTIBULE_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// A client must finish its TLS handshake, and each request's headers, within this many seconds.
    #[arg(long, env = "VESTIBULE_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    header_timeout_secs: u32,
    /// A request must be answered within this many seconds.
    #[arg(long, env = "VESTIBULE_REQUEST_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    request_timeout_secs: u32,
    /// The most connections served at once; more are closed at once. Lowered, with a warning, to
    /// what the open-file limit allows (less 512 kept for the database and the rest).
    #[arg(long, env = "VESTIBULE_MAX_CONNECTIONS", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// How often to look for a site's daily automatic sign-out that fell due (and a tenant's
    /// daily retention run), in seconds.
    #[arg(long, env = "VESTIBULE_SIGN_OUT_POLL_SECS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3600))]
    sign_out_poll_secs: u32,
    /// The UTC hour from which each day's retention run may start (0 to 23). On SQLite the run
    /// ends by rewriting the database file, and writes wait meanwhile (about 18 s for a million
    /// visits on a 2-core machine): set it to the night of the sites this server serves.
    #[arg(long, env = "VESTIBULE_RETENTION_HOUR", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=23))]
    retention_hour: u32,
    /// The server's address as people reach it (`https://` and a host, perhaps a port and a
    /// path): the links in visitors' emails point there. Defaults to `https://<listen>`.
    #[arg(long, env = "VESTIBULE_PUBLIC_URL", value_parser = public_url)]
    public_url: Option<String>,
    /// SQLite group commit: the most check-ins written in one transaction (1 turns it off: one
    /// transaction per check-in). Ignored on PostgreSQL.
    #[arg(long, env = "VESTIBULE_COMMIT_BATCH_MAX", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1024))]
    commit_batch_max: u32,
    /// On SIGTERM, how long requests in flight may take to finish, in seconds.
    #[arg(long, env = "VESTIBULE_SHUTDOWN_GRACE_SECS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    shutdown_grace_secs: u32,
}

/// Runs `serve` as the binary does: until SIGTERM or Ctrl-C, on the system clock.
pub(super) async fn run(args: Serve) -> anyhow::Result<()> {
    let handle = axum_server::Handle::new();
    tokio::spawn(shutdown_on_signal(
        handle.clone(),
        Duration::from_secs(args.shutdown_grace_secs.into()),
    ));
    serve(args, Clock::system(), handle).await
}

/// The `serve` flags alone, for [`serve_in_process`].
#[derive(Debug, Parser)]
struct ServeFlags {
    #[command(flatten)]
    serve: Serve,
}

/// A server running inside this process, on a runtime of its own (see [`serve_in_process`]).
pub struct Serving {
    /// Where it listens.
    pub addr: SocketAddr,
    handle: axum_server::Handle<SocketAddr>,
    thread: std::thread::JoinHandle<anyhow::Result<()>>,
}

impl Serving {
    /// Shuts the server down gracefully and waits for it to stop.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.handle.graceful_shutdown(Some(Duration::from_secs(1)));
        let thread = self.thread;
        tokio::task::spawn_blocking(move || thread.join())
            .await?
            .map_err(|_| anyhow::anyhow!("the server thread panicked"))?
    }
}

/// Starts the server that `vestibule-server serve <flags>` would start, inside this process (on
/// a thread and runtime of its own, as in the binary) with `clock` as its time source, and
/// returns once it listens. For tests that let time pass by advancing the clock, not sleeping.
pub async fn serve_in_process(flags: Vec<String>, clock: Clock) -> anyhow::Result<Serving> {
    let args = ServeFlags::try_parse_from(std::iter::once("serve".to_owned()).chain(flags))?.serve;
    let handle = axum_server::Handle::new();
    let server_handle = handle.clone();
    let thread = std::thread::Builder::new()
        .name("vestibule-server".into())
        .spawn(move || {
            tokio::runtime::Runtime::new()?.block_on(serve(args, clock, server_handle))
        })?;
    match handle.listening().await {
        Some(addr) => Ok(Serving {
            addr,
            handle,
            thread,
        }),
        None => {
            let ended = tokio::task::spawn_blocking(move || thread.join()).await?;
            Err(ended
                .map_err(|_| anyhow::anyhow!("the server thread panicked"))?
                .err()
                .unwrap_or_else(|| anyhow::anyhow!("the server stopped before it listened")))
        }
    }
}

/// Serves until `handle` is told to shut down, with `clock` as the time source.
async fn serve(
    args: Serve,
    clock: Clock,
    handle: axum_server::Handle<SocketAddr>,
) -> anyhow::Result<()> {
    let store = open_store(&args.storage)
        .await?
        .with_clock(clock.clone())
        .with_group_commit(args.commit_batch_max as usize)?;
    let (files, self_signed) = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => (tls::CertFiles { cert, key }, false),
        _ => (
            tls::self_signed(&args.storage.data_dir, clock.now().date_naive())?,
            true,
        ),
    };
    let pin = tls::pin_of_file(&files.cert)?;
    let config = axum_server::tls_rustls::RustlsConfig::from_config(tls::server_config(&files)?);
    if self_signed {
        tokio::spawn(tls::keep_renewed(
            files.clone(),
            clock.clone(),
            config.clone(),
        ));
    }
    tracing::info!(%pin, engine = if store.is_postgres() { "postgres" } else { "sqlite" }, "TLS certificate SPKI pin");

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
    let app = crate::app(AppState {
        store: store.clone(),
        settings: std::sync::Arc::new(settings),
        shield,
        clock: store.clock().clone(),
    });
    let mail = crate::mail::MailSettings {
        retry_base: Duration::from_secs(args.mail_retry_secs.into()),
        give_up: Duration::from_secs(args.mail_give_up_secs.into()),
        lease: Duration::from_secs(args.mail_lease_secs.into()),
        send_timeout: Duration::from_secs((args.mail_lease_secs / 2).into()),
        public_url: args
            .public_url
            .unwrap_or_else(|| format!("https://{}", args.listen)),
        ..crate::mail::MailSettings::default()
    };
    let (stop_mail, stop) = tokio::sync::watch::channel(false);
    let sender = tokio::spawn(crate::mail::run(store.clone(), mail, stop.clone()));
    let hooks = crate::webhooks::WebhookSettings {
        retry_base: Duration::from_secs(args.webhook_retry_secs.into()),
        allow: args.webhook_allow_network,
        ..crate::webhooks::WebhookSettings::default()
    };
    let hook_sender = tokio::spawn(crate::webhooks::run(store.clone(), hooks, stop.clone()));
    let sign_out_poll = Duration::from_secs(args.sign_out_poll_secs.into());
    let signer = tokio::spawn(crate::sign_out::run(
        store.clone(),
        sign_out_poll,
        stop.clone(),
    ));
    let retainer = tokio::spawn(crate::retention::run(
        store.clone(),
        sign_out_poll,
        args.retention_hour,
        stop,
    ));
    let header_timeout = Duration::from_secs(args.header_timeout_secs.into());
    let wanted = usize::try_from(args.max_connections).unwrap_or(usize::MAX);
    let (cap, open_files) = conn::cap_within_open_files(wanted);
    if cap < wanted {
        tracing::warn!(
            max_connections = wanted,
            open_files,
            cap,
            "the open-file limit lowers the connection cap: raise it (LimitNOFILE, ulimit -n) to serve more"
        );
    }
    let acceptor = RustlsAcceptor::new(config)
        .handshake_timeout(header_timeout)
        .acceptor(ConnectionCap::new(cap));
    let mut server = axum_server::bind(args.listen)
        .acceptor(acceptor)
        .first_request_timeout(header_timeout)
        .handle(handle.clone());
    // hyper's own caps on a request head, above the shield's (which answers in the envelope).
    server
        .http_builder()
        .http1()
        .header_read_timeout(header_timeout)
        .max_buf_size(crate::shield::HYPER_HEAD_BUFFER)
        .max_headers(crate::shield::HYPER_MAX_HEADERS);
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
    let _ = hook_sender.await;
    let _ = signer.await;
    let _ = retainer.await;
    served.context("serving")?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// `--public-url`: an `https://` URL without query or fragment, kept without its trailing slash.
fn public_url(raw: &str) -> Result<String, String> {
    let rest = raw
        .strip_prefix("https://")
        .ok_or("must start with https://")?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || rest.contains(['?', '#']) || rest.chars().any(char::is_whitespace) {
        return Err("must be https:// and a host, perhaps a port and a path".into());
    }
    Ok(raw.trim_end_matches('/').to_owned())
}

/// Shuts the server down gracefully on SIGTERM or Ctrl-C.
async fn shutdown_on_signal(handle: axum_server::Handle<SocketAddr>, grace: Duration) {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::info!("shutting down");
    handle.graceful_shutdown(Some(grace));
}
