//! What the tests need besides cargo: the `openssl` command line (the TLS tests' independent
//! peer), `xmlsec1` (the SAML tests' independent signer) and the libxmlsec1 and libclang
//! development packages (the server's SAML signature checks build on them), `testssl` (Debian's
//! testssl.sh, the TLS scan's second scanner beside sslyze) and `promtool` (from Debian's
//! prometheus package, which lints a scrape of `/metrics`; the Prometheus server that package
//! also brings is never left running or enabled), the Python tools some tests drive (sslyze, schemathesis, aiosmtpd; pinned, in a
//! virtualenv of their own, see [`python_tools`]), a D-Bus daemon and gnome-keyring (the real Secret Service the keychain tests use), the
//! kiosk's build and test stack (Tauri's WebKitGTK libraries, Node.js and npm, Xvfb,
//! WebKitWebDriver and `tauri-driver`), the console's browser tests' Chromium, chromedriver and
//! NSS's `certutil`, and a PostgreSQL server on 127.0.0.1:5432 with trust auth for `postgres` (as on the CI
//! machine). As root on Debian, missing packages are installed with apt-get and a stopped
//! cluster is started; elsewhere the exact missing piece is named. Whatever is started here is
//! stopped again by [`Started::stop`].

use std::{
    net::TcpStream,
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use anyhow::{Context, bail};

/// What `ensure` started and must stop.
#[derive(Debug, Default)]
pub struct Started {
    pg_cluster: Option<String>,
}

impl Started {
    pub fn stop(self) {
        if let Some(version) = self.pg_cluster {
            println!("xtask: stopping the PostgreSQL {version} cluster it started");
            let _ = Command::new("pg_ctlcluster")
                .args(["--skip-systemctl-redirect", &version, "main", "stop"])
                .status();
        }
    }
}

pub(crate) fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

pub(crate) fn is_root_on_debian() -> bool {
    Path::new("/etc/debian_version").exists()
        && Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0"))
}

/// Installs Debian's `package` when `cmd` is missing (as root on Debian), else fails naming
/// `what` it is and the package to install.
pub(crate) fn command(cmd: &str, package: &str, what: &str) -> anyhow::Result<()> {
    if have(cmd) {
        return Ok(());
    }
    if !is_root_on_debian() {
        bail!("missing: {cmd}, {what} (Debian: apt-get install {package})");
    }
    apt_install(&[package])
}

pub(crate) fn apt_install(packages: &[&str]) -> anyhow::Result<()> {
    println!("xtask: installing {}", packages.join(" "));
    let ok = Command::new("apt-get").arg("update").status()?.success()
        && Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(packages)
            .status()?
            .success();
    if !ok {
        bail!("apt-get install {} failed", packages.join(" "));
    }
    Ok(())
}

/// The Python package index's tools the tests run, at exact versions. Hypothesis is pinned too: it generates
/// schemathesis' cases, so a seed only replays the same run with the same Hypothesis.
const PYTHON_TOOLS: [(&str, &str); 11] = [
    ("sslyze", "6.3.1"),
    ("schemathesis", "4.32.5"),
    ("hypothesis", "6.170.17"),
    ("aiosmtpd", "1.4.6"),
    // Reads back the invitation email's calendar event, independently of the server's writer.
    ("icalendar", "7.3.2"),
    // Turns a Brother QL raster job back into an image, independently of the server's encoder.
    ("brother_ql", "0.9.4"),
    // Checks `/scim/v2` against RFC 7643/7644, through its own SCIM client.
    ("scim2-tester", "0.5.2"),
    ("scim2-client", "0.13.2"),
    ("scim2-models", "0.12.3"),
    ("httpx2", "2.17.0"),
    // The Standard Webhooks reference library: verifies the webhooks' signatures, independently
    // of the server's signer.
    ("standardwebhooks", "1.3.0"),
];

/// Exits 0 when every `name==version` argument is installed at exactly that version.
const PINS_INSTALLED: &str = r#"
import importlib.metadata as m, sys
def installed(pin):
    name, version = pin.split("==")
    try:
        return m.version(name) == version
    except m.PackageNotFoundError:
        return False
sys.exit(0 if all(map(installed, sys.argv[1:])) else 1)
"#;

/// Makes sure the pinned Python tools are installed in a virtualenv under
/// `~/.cache/vestibule/pyenv` (created with `python3 -m venv` when missing, topped up with its
/// own pip when a pin is missing or differs); returns its `bin` dir, which the tests get as
/// `VESTIBULE_PY_BIN`.
pub fn python_tools() -> anyhow::Result<PathBuf> {
    let home = std::env::var_os("HOME").context("HOME is not set")?;
    let venv = PathBuf::from(home).join(".cache/vestibule/pyenv");
    let bin = venv.join("bin");
    let python = bin.join("python");
    let pins: Vec<String> = PYTHON_TOOLS
        .iter()
        .map(|(name, version)| format!("{name}=={version}"))
        .collect();
    if Command::new(&python)
        .args(["-c", PINS_INSTALLED])
        .args(&pins)
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Ok(bin);
    }
    if !Command::new(&python)
        .args(["-m", "pip", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        make_venv(&venv)?;
    }
    println!("xtask: installing {}", pins.join(" "));
    let ok = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(&pins)
        .status()
        .context("running pip")?
        .success();
    if !ok {
        bail!("pip install {} failed", pins.join(" "));
    }
    Ok(bin)
}

/// A fresh virtualenv at `venv` (Debian's python3 needs python3-venv for it).
fn make_venv(venv: &Path) -> anyhow::Result<()> {
    if !have("python3") {
        if !is_root_on_debian() {
            bail!(
                "missing: python3 with its venv module (Debian/Ubuntu: apt-get install python3 python3-venv)"
            );
        }
        apt_install(&["python3", "python3-venv"])?;
    }
    println!("xtask: creating the Python virtualenv {}", venv.display());
    for attempt in 0..2 {
        let _ = std::fs::remove_dir_all(venv);
        if Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(venv)
            .status()?
            .success()
        {
            return Ok(());
        }
        if attempt > 0 || !is_root_on_debian() {
            break;
        }
        apt_install(&["python3-venv"])?;
    }
    bail!(
        "python3 -m venv {} failed (Debian/Ubuntu: apt-get install python3-venv)",
        venv.display()
    )
}

/// Whether a Debian package is installed.
fn deb_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

fn postgres_listening() -> bool {
    TcpStream::connect_timeout(
        &"127.0.0.1:5432".parse().expect("address"),
        Duration::from_secs(1),
    )
    .is_ok()
}

fn pg_versions() -> Vec<String> {
    std::fs::read_dir("/etc/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The Debian packages the server's build needs that are missing: samael's xmlsec feature (the
/// server's SAML signature checks) links libxmlsec1 and runs bindgen, which needs libclang.
fn server_libraries() -> anyhow::Result<Vec<&'static str>> {
    let mut missing = Vec::new();
    if !have("pkg-config")
        || !Command::new("pkg-config")
            .args(["--exists", "xmlsec1"])
            .status()?
            .success()
    {
        missing.extend(["pkg-config", "libxmlsec1-dev"]);
    }
    if is_root_on_debian() && !deb_installed("libclang-dev") {
        missing.push("libclang-dev");
    }
    Ok(missing)
}

/// Installs what building the server needs (for `cargo xtask bench` on a fresh machine).
pub fn server_build() -> anyhow::Result<()> {
    let missing = server_libraries()?;
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root_on_debian() {
        bail!(
            "missing: {} (Debian/Ubuntu: apt-get install {})",
            missing.join(", "),
            missing.join(" ")
        );
    }
    apt_install(&missing)
}

/// Makes sure every prerequisite is there; returns what it started.
pub fn ensure() -> anyhow::Result<Started> {
    let root_debian = is_root_on_debian();
    let tools = [
        ("openssl", "openssl"),
        ("dbus-daemon", "dbus"),
        ("dbus-send", "dbus"),
        ("gnome-keyring-daemon", "gnome-keyring"),
        ("pkg-config", "pkg-config"),
        ("cc", "build-essential"),
        ("npm", "npm"),
        ("Xvfb", "xvfb"),
        ("WebKitWebDriver", "webkit2gtk-driver"),
        // The console's browser tests: Chromium, its WebDriver, and NSS's certutil (the browser
        // trusts the test server's certificate through its own certificate database).
        ("chromium", "chromium"),
        ("chromedriver", "chromium-driver"),
        ("certutil", "libnss3-tools"),
        // The SAML tests' independent signer; libxmlsec1-dev and libclang-dev build samael's xmlsec.
        ("xmlsec1", "xmlsec1"),
        // The TLS scan's second scanner, and Prometheus' linter of a scrape.
        ("testssl", "testssl.sh"),
        ("promtool", "prometheus"),
        // Rates the systemd unit in deploy/ (`systemd-analyze security --offline`).
        ("systemd-analyze", "systemd"),
        // Decodes the invitation email's QR code, independently of the server's encoder.
        ("zbarimg", "zbar-tools"),
        // Reads the signed-agreement PDF back, independently of the server's writer.
        ("pdftotext", "poppler-utils"),
        // The badge printing tests' IPP Everywhere printer, which keeps every job it receives.
        ("ippeveprinter", "cups-ipp-utils"),
        // The server image (`cargo xtask dist --image`): podman with runc, its base made from
        // Debian's packages by mmdebstrap, and podman-compose for the scale-out layout.
        ("podman", "podman"),
        ("runc", "runc"),
        ("mmdebstrap", "mmdebstrap"),
        ("podman-compose", "podman-compose"),
        // Names the compose file's services on its network (podman 4.3's CNI networks resolve
        // container names only with this plugin, which podman merely recommends).
        (
            "/usr/lib/cni/dnsname",
            "golang-github-containernetworking-plugin-dnsname",
        ),
        // The kiosk session unit's compositor (`systemd-analyze verify` checks its ExecStart).
        ("cage", "cage"),
    ];
    let mut missing: Vec<&str> = tools
        .iter()
        .filter(|(cmd, _)| !have(cmd))
        .map(|(_, package)| *package)
        .collect();
    if !have("pkg-config")
        || !Command::new("pkg-config")
            .args([
                "--exists",
                "webkit2gtk-4.1",
                "libsoup-3.0",
                "javascriptcoregtk-4.1",
            ])
            .status()?
            .success()
    {
        missing.extend([
            "libwebkit2gtk-4.1-dev",
            "libsoup-3.0-dev",
            "libjavascriptcoregtk-4.1-dev",
            "librsvg2-dev",
        ]);
    }
    missing.extend(server_libraries()?);
    missing.sort_unstable();
    missing.dedup();
    if !missing.is_empty() {
        if root_debian {
            apt_install(&missing)?;
            if missing.contains(&"prometheus") {
                no_prometheus_server();
            }
        } else {
            bail!(
                "missing: {} (Debian/Ubuntu: apt-get install {})",
                missing.join(", "),
                missing.join(" ")
            );
        }
    }
    ensure_tauri_driver()?;
    postgres()
}

/// The tests want only `promtool` of Debian's prometheus package: where systemd runs, the
/// Prometheus server the package enabled and started (on port 9090) is stopped and disabled.
fn no_prometheus_server() {
    if Path::new("/run/systemd/system").exists() {
        println!("xtask: stopping and disabling the Prometheus server (only promtool is needed)");
        let _ = Command::new("systemctl")
            .args(["disable", "--now", "prometheus"])
            .status();
    }
}

/// Makes sure a PostgreSQL server listens on 127.0.0.1:5432 (or `VESTIBULE_TEST_PG_URL` is set);
/// returns what it started.
pub fn postgres() -> anyhow::Result<Started> {
    let mut started = Started::default();
    let root_debian = is_root_on_debian();
    if std::env::var_os("VESTIBULE_TEST_PG_URL").is_some() || postgres_listening() {
        return Ok(started);
    }
    if pg_versions().is_empty() {
        if !root_debian {
            bail!(
                "missing: a PostgreSQL server on 127.0.0.1:5432 with trust auth for user postgres \
                 (or set VESTIBULE_TEST_PG_URL to a server where that user may create databases)"
            );
        }
        apt_install(&["postgresql"])?;
        trust_local_tcp()?;
    }
    let version = pg_versions()
        .into_iter()
        .max()
        .context("no PostgreSQL cluster in /etc/postgresql")?;
    println!("xtask: starting the PostgreSQL {version} cluster");
    let ok = Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &version, "main", "start"])
        .status()?
        .success();
    if !ok {
        bail!("pg_ctlcluster {version} main start failed");
    }
    started.pg_cluster = Some(version);
    for _ in 0..30 {
        if postgres_listening() {
            return Ok(started);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    started.stop();
    bail!("PostgreSQL did not start listening on 127.0.0.1:5432")
}

/// `tauri-driver` (the WebDriver bridge to the kiosk app), from the Rust package registry into cargo's bin dir.
fn ensure_tauri_driver() -> anyhow::Result<()> {
    if have("tauri-driver") || cargo_bin("tauri-driver").exists() {
        return Ok(());
    }
    println!("xtask: installing tauri-driver");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    if !Command::new(cargo)
        .args(["install", "tauri-driver@2.1.0", "--locked"])
        .status()?
        .success()
    {
        bail!("cargo install tauri-driver failed");
    }
    Ok(())
}

fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    home.join("bin").join(name)
}

/// A fresh Debian cluster asks for passwords on TCP; the throwaway test cluster trusts loopback.
fn trust_local_tcp() -> anyhow::Result<()> {
    for version in pg_versions() {
        let hba = format!("/etc/postgresql/{version}/main/pg_hba.conf");
        let current = std::fs::read_to_string(&hba).with_context(|| format!("reading {hba}"))?;
        let line = "host all postgres 127.0.0.1/32 trust\n";
        if !current.contains(line) {
            std::fs::write(&hba, format!("{line}{current}"))
                .with_context(|| format!("writing {hba}"))?;
        }
    }
    Ok(())
}
