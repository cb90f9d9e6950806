//! `vestibule-server probe`: the container's `HEALTHCHECK` (and any local watchdog's) without a
//! curl in the image. It asks this machine's server for `/readyz` over TLS, trusting only the
//! certificate the server serves (its self-signed one in the data dir, or `--tls-cert`), and
//! exits 0 only on `200`.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{Context, bail};
use clap::Args;
use rustls::pki_types::{CertificateDer, pem::PemObject};

use crate::tls;

#[derive(Debug, Args)]
pub struct Probe {
    #[arg(long, env = "VESTIBULE_DATA_DIR", default_value = "./vestibule-data")]
    data_dir: PathBuf,
    /// The address the server listens on; an unspecified one (0.0.0.0) is reached on loopback.
    #[arg(long, env = "VESTIBULE_LISTEN", default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// The certificate the server serves, when not its self-signed one.
    #[arg(long, env = "VESTIBULE_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// A name the certificate is for.
    #[arg(long, env = "VESTIBULE_PROBE_NAME", default_value = "localhost")]
    name: String,
}

pub async fn run(args: Probe) -> anyhow::Result<()> {
    let cert = args
        .tls_cert
        .unwrap_or_else(|| args.data_dir.join("tls").join("cert.pem"));
    let ders = CertificateDer::pem_file_iter(&cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .with_context(|| format!("reading {}", cert.display()))?;
    let mut config = tls::client_config_trusting(ders)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let mut addr = args.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .https_only(true)
        .no_proxy()
        .resolve(&args.name, addr)
        .timeout(Duration::from_secs(5))
        .build()?;
    let url = format!("https://{}:{}/readyz", args.name, addr.port());
    let status = client.get(&url).send().await?.status();
    if status != reqwest::StatusCode::OK {
        bail!("/readyz answered {status}");
    }
    println!("ready");
    Ok(())
}
