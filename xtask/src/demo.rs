//! `cargo xtask run`: build the server, start it on the embedded SQLite database, and on first run
//! create a demo tenant (admin, receptionist with a PIN, a site, hosts) through the public API.
//! Every run prints a fresh kiosk enrollment code, the server's TLS pin and the demo credentials,
//! and, on a desktop (`DISPLAY` or `WAYLAND_DISPLAY` set), starts the kiosk app enrolled against
//! the server: its config file (server URL, pin, the server's certificate as its CA, and on first
//! run the enrollment code) is written to `<data-dir>/kiosk/kiosk.json`. A local mail catcher
//! (`mailcatcher.rs`, over TLS) receives the hosts' emails into `<data-dir>/mail/`, and the demo
//! tenant's SMTP settings point at it; without one, they are removed, so that the kiosk never
//! promises an email that cannot go out.

use std::{
    io::{BufRead, BufReader, Read},
    path::Path,
    process::{Command, Stdio},
    sync::Arc,
};

use anyhow::{Context, bail};
use reqwest::Client;
use rustls::pki_types::{CertificateDer, pem::PemObject};
use serde_json::{Value, json};

use crate::{mailcatcher, workspace};

fn random_hex(bytes: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn random_pin() -> anyhow::Result<String> {
    let mut buf = [0u8; 6];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf.iter().map(|b| char::from(b'0' + b % 10)).collect())
}

pub fn run(data_dir: &Path, listen: &str) -> anyhow::Result<()> {
    crate::ui::build()?;
    workspace::cargo(&["build", "--workspace", "--all-targets"], &[])?;
    let bin = workspace::server_bin()?;
    std::fs::create_dir_all(data_dir)?;
    let data_dir = data_dir.canonicalize()?;
    let demo_file = data_dir.join("demo.json");
    let operator = if demo_file.exists() {
        None
    } else {
        let out = Command::new(&bin)
            .arg("operator-token")
            .arg("--data-dir")
            .arg(&data_dir)
            .output()?;
        if !out.status.success() {
            bail!(
                "operator-token failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Some(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .last()
                .context("no token")?
                .trim()
                .to_owned(),
        )
    };

    let mut child = Command::new(&bin)
        .args(["serve", "--listen", listen, "--data-dir"])
        .arg(&data_dir)
        .stdout(Stdio::piped())
        .spawn()
        .context("starting vestibule-server")?;
    let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
    let addr = loop {
        match lines.next() {
            Some(line) => {
                if let Some(a) = line?.strip_prefix("listening on https://") {
                    break a.to_owned();
                }
            }
            None => bail!("the server stopped before listening (is {listen} free?)"),
        }
    };
    let base = format!(
        "https://localhost:{}",
        addr.rsplit_once(':').map_or("8443", |(_, p)| p)
    );
    let pin_out = Command::new(&bin)
        .arg("tls-pin")
        .arg("--data-dir")
        .arg(&data_dir)
        .output()?;
    let tls_pin = String::from_utf8_lossy(&pin_out.stdout).trim().to_owned();
    let catcher = mailcatcher::MailCatcher::start(&data_dir, random_hex(16)?)
        .inspect_err(|e| eprintln!("xtask: no mail catcher for the demo: {e:#}"))
        .ok();

    let runtime = tokio::runtime::Runtime::new()?;
    let cert = data_dir.join("tls/cert.pem");
    let demo = runtime.block_on(async {
        let client = client(&cert)?;
        if let Some(op) = operator {
            let demo = create_demo(&client, &base, &op).await?;
            write_private(&demo_file, demo.to_string().as_bytes())?;
        }
        let mut demo: Value = serde_json::from_str(&std::fs::read_to_string(&demo_file)?)?;
        let token = login(&client, &base, &demo).await?;
        match &catcher {
            Some(c) => c.configure(&client, &base, &token, &cert).await?,
            None => mailcatcher::unconfigure(&client, &base, &token).await?,
        }
        demo["enrollment_code"] = json!(enrollment_code(&client, &base, &demo).await?);
        anyhow::Ok(demo)
    })?;

    println!();
    println!("Vestibule is running at {base}");
    println!("  TLS pin (give it to the kiosk):  {tls_pin}");
    println!(
        "  Kiosk enrollment code:           {}",
        demo["enrollment_code"].as_str().unwrap_or("")
    );
    println!("  Demo tenant:                     demo");
    println!(
        "  Admin login:                     {} / {}",
        demo["admin_email"].as_str().unwrap_or(""),
        demo["admin_password"].as_str().unwrap_or("")
    );
    println!(
        "  Receptionist override:           {} / PIN {}",
        demo["receptionist_email"].as_str().unwrap_or(""),
        demo["pin"].as_str().unwrap_or("")
    );
    match &catcher {
        Some(c) => println!(
            "  Host emails (local mail catcher): {}/ (one .eml file per email)",
            c.maildir.display()
        ),
        None => println!(
            "  Host emails:                     none (no mail catcher; the kiosk sends visitors to reception)"
        ),
    }
    println!(
        "  (credentials are kept in {} ; Ctrl-C stops the server)",
        demo_file.display()
    );
    let _kiosk = start_kiosk(
        &data_dir,
        &base,
        &tls_pin,
        demo["enrollment_code"].as_str().unwrap_or_default(),
    )?;
    let status = child.wait()?;
    if !status.success() {
        bail!("vestibule-server exited with {status}");
    }
    Ok(())
}

/// Starts the kiosk app against the server when there is a display to show it on.
fn start_kiosk(
    data_dir: &Path,
    base: &str,
    pin: &str,
    code: &str,
) -> anyhow::Result<Option<std::process::Child>> {
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        println!(
            "  (no display: start the kiosk on a desktop with `vestibule-kiosk` and the values above)"
        );
        return Ok(None);
    }
    let config = data_dir.join("kiosk/kiosk.json");
    if !config.exists() {
        std::fs::create_dir_all(data_dir.join("kiosk"))?;
        let body = json!({
            "server_urls": [base],
            "pins": [pin],
            "ca_file": data_dir.join("tls/cert.pem"),
            "enrollment_code": code,
            "kiosk_mode": false,
        });
        write_private(&config, serde_json::to_vec_pretty(&body)?.as_slice())?;
    }
    let bin = workspace::target_dir()?.join("debug/vestibule-kiosk");
    println!(
        "  Kiosk:                           started ({})",
        config.display()
    );
    Ok(Some(
        Command::new(bin)
            .env("VESTIBULE_KIOSK_CONFIG", &config)
            .spawn()
            .context("starting vestibule-kiosk")?,
    ))
}

pub(crate) fn client(cert: &Path) -> anyhow::Result<Client> {
    Ok(Client::builder()
        .tls_backend_preconfigured(tls_config(cert)?)
        .build()?)
}

/// A TLS client configuration that trusts only the certificates in the PEM file `cert`.
pub(crate) fn tls_config(cert: &Path) -> anyhow::Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(cert)? {
        roots.add(c?)?;
    }
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

pub(crate) async fn post(
    client: &Client,
    url: String,
    token: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let res = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{status}: {body}");
    }
    Ok(body)
}

async fn create_demo(client: &Client, base: &str, op: &str) -> anyhow::Result<Value> {
    let tenant = post(
        client,
        format!("{base}/api/v1/operator/tenants"),
        op,
        json!({"slug": "demo", "name": "Demo Company", "plan": "business"}),
    )
    .await?;
    let tid = tenant["id"].as_str().context("tenant id")?;
    let password = random_hex(12)?;
    let pin = random_pin()?;
    let users = format!("{base}/api/v1/operator/tenants/{tid}/users");
    post(client, users.clone(), op, json!({"email": "admin@demo.test", "name": "Demo Admin", "role": "admin", "password": password}))
        .await?;
    post(
        client,
        users,
        op,
        json!({"email": "reception@demo.test", "name": "Demo Reception", "role": "receptionist", "password": random_hex(12)?, "pin": pin}),
    )
    .await?;
    let demo = json!({"admin_email": "admin@demo.test", "admin_password": password, "receptionist_email": "reception@demo.test", "pin": pin});
    let token = login(client, base, &demo).await?;
    let site = post(
        client,
        format!("{base}/api/v1/sites"),
        &token,
        json!({"name": "Main reception", "timezone": "Europe/Paris"}),
    )
    .await?;
    let site_id = site["id"].as_str().context("site id")?;
    for (name, email) in [
        ("Grace Hopper", "grace@demo.test"),
        ("Alan Turing", "alan@demo.test"),
        ("Ada Lovelace", "ada@demo.test"),
    ] {
        post(
            client,
            format!("{base}/api/v1/hosts"),
            &token,
            json!({"name": name, "email": email, "site_id": site_id}),
        )
        .await?;
    }
    let mut demo = demo;
    demo["site_id"] = json!(site_id);
    Ok(demo)
}

async fn login(client: &Client, base: &str, demo: &Value) -> anyhow::Result<String> {
    let res = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"tenant": "demo", "email": demo["admin_email"], "password": demo["admin_password"]}))
        .send()
        .await?;
    let body: Value = res.json().await?;
    Ok(body["token"].as_str().context("login failed")?.to_owned())
}

async fn enrollment_code(client: &Client, base: &str, demo: &Value) -> anyhow::Result<String> {
    let token = login(client, base, demo).await?;
    let kiosk = post(
        client,
        format!("{base}/api/v1/kiosks"),
        &token,
        json!({"name": "Lobby tablet", "site_id": demo["site_id"]}),
    )
    .await?;
    Ok(kiosk["enrollment_code"]
        .as_str()
        .context("code")?
        .to_owned())
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    Ok(())
}
