//! The real kiosk app under test: Xvfb, a private Secret Service, and `tauri-driver` (which runs
//! WebKitWebDriver, which starts `vestibule-kiosk`), all with HOME, XDG dirs and TMPDIR in a
//! fresh temporary directory, driven over WebDriver with fantoccini.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use serde_json::json;
use tokio::process::{Child, Command};

use crate::keychain::SecretService;

/// A binary of this workspace's debug build (`VESTIBULE_KIOSK_BIN` overrides the kiosk's).
pub fn kiosk_bin() -> PathBuf {
    if let Ok(p) = std::env::var("VESTIBULE_KIOSK_BIN") {
        return PathBuf::from(p);
    }
    let server = crate::server::server_bin();
    server.with_file_name("vestibule-kiosk")
}

/// `tauri-driver`: `VESTIBULE_TAURI_DRIVER`, else on the PATH or in cargo's bin dir.
fn tauridriver() -> PathBuf {
    if let Ok(p) = std::env::var("VESTIBULE_TAURI_DRIVER") {
        return PathBuf::from(p);
    }
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|c| c.join("bin/tauri-driver"));
    cargo_bin
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("tauri-driver"))
}

/// Two distinct free loopback ports (both held until both are chosen).
fn free_ports() -> (u16, u16) {
    let bind = || std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let (a, b) = (bind(), bind());
    (
        a.local_addr().expect("addr").port(),
        b.local_addr().expect("addr").port(),
    )
}

/// An X server of its own.
pub struct Display {
    pub name: String,
    child: Child,
}

impl Display {
    pub async fn start() -> Display {
        for n in 90..140 {
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                || Path::new(&format!("/tmp/.X{n}-lock")).exists()
            {
                continue;
            }
            let name = format!(":{n}");
            let child = Command::new("Xvfb")
                .args([
                    name.as_str(),
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("Xvfb (Debian: xvfb) must be installed; `cargo xtask test` installs it");
            // Polls for Xvfb's socket; a display that does not come up in 5 s is left for the next.
            for _ in 0..100 {
                if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                    return Display { name, child };
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            drop(child);
        }
        panic!("no free X display");
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// One kiosk under WebDriver at a time in this process: WebKitGTK allows one automated app, and
/// [`KioskApp::close`] ends every kiosk process it finds.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The kiosk's world: its own home, config, keychain and display, and the process's one turn
/// at driving a kiosk, held until it is dropped.
pub struct KioskEnv {
    pub home: tempfile::TempDir,
    pub keychain: SecretService,
    pub display: Display,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl KioskEnv {
    pub async fn new() -> KioskEnv {
        let turn = TURN.lock().await;
        let home = tempfile::tempdir().expect("home");
        for d in [".config", ".local/share", ".cache", "tmp", "run"] {
            std::fs::create_dir_all(home.path().join(d)).expect("dir");
        }
        KioskEnv {
            home,
            keychain: SecretService::start(),
            display: Display::start().await,
            _turn: turn,
        }
    }

    pub fn config_path(&self) -> PathBuf {
        self.home.path().join(".config/vestibule-kiosk/kiosk.json")
    }

    /// Writes the kiosk's config file (what an installer would): where the server is and its CA.
    pub fn configure(&self, config: serde_json::Value) {
        let path = self.config_path();
        std::fs::create_dir_all(path.parent().expect("dir")).expect("config dir");
        std::fs::write(path, serde_json::to_vec_pretty(&config).expect("json")).expect("config");
    }

    fn env(&self) -> Vec<(String, String)> {
        let h = self.home.path();
        let mut env: Vec<(String, String)> = vec![
            ("DISPLAY".into(), self.display.name.clone()),
            ("HOME".into(), h.display().to_string()),
            (
                "XDG_CONFIG_HOME".into(),
                h.join(".config").display().to_string(),
            ),
            (
                "XDG_DATA_HOME".into(),
                h.join(".local/share").display().to_string(),
            ),
            (
                "XDG_CACHE_HOME".into(),
                h.join(".cache").display().to_string(),
            ),
            (
                "XDG_RUNTIME_DIR".into(),
                h.join("run").display().to_string(),
            ),
            ("TMPDIR".into(), h.join("tmp").display().to_string()),
            (
                "VESTIBULE_LOG".into(),
                std::env::var("VESTIBULE_KIOSK_LOG").unwrap_or_else(|_| "warn".into()),
            ),
            // WebKitGTK's mock camera feeds the real camera code its frames (debug builds only).
            ("VESTIBULE_KIOSK_MOCK_CAMERA".into(), "1".into()),
        ];
        env.extend(self.keychain.env());
        env
    }

    /// Starts tauri-driver, which starts the kiosk; returns the session once the app's first
    /// screen shows, and how long that took.
    pub async fn launch(&self) -> (KioskApp, Duration) {
        self.launch_bin(&kiosk_bin()).await
    }

    /// [`KioskEnv::launch`] with the kiosk binary at `bin` (one a package installed, say).
    pub async fn launch_bin(&self, bin: &std::path::Path) -> (KioskApp, Duration) {
        let (port, native_port) = free_ports();
        let log = std::fs::File::create(self.home.path().join("tauri-driver.log")).expect("log");
        let driver = Command::new(tauridriver())
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("tauri-driver must be installed; `cargo xtask test` installs it");
        // tauri-driver listens at once but starts WebKitWebDriver beside it; a session request
        // forwarded before WebKitWebDriver listens is dropped with the connection. Wait for both.
        for p in [port, native_port] {
            wait_listening(p).await;
        }
        let url = format!("http://127.0.0.1:{port}");
        let mut caps = serde_json::Map::new();
        caps.insert("tauri:options".into(), json!({ "application": bin }));
        let started = Instant::now();
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .unwrap_or_else(|e| {
                let log = std::fs::read_to_string(self.home.path().join("tauri-driver.log"))
                    .unwrap_or_default();
                panic!("a WebDriver session with the kiosk: {e}\n--- tauri-driver's log ---\n{log}")
            });
        let app = KioskApp { client, driver };
        app.wait_any(&["screen-setup", "screen-welcome", "screen-error"])
            .await;
        (app, started.elapsed())
    }

    /// Every file under the kiosk's home (its config, caches, temp dir, anything WebKit wrote).
    pub fn files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = e.path();
                match e.file_type() {
                    Ok(t) if t.is_dir() => walk(&p, out),
                    Ok(t) if t.is_file() => out.push(p),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(self.home.path(), &mut out);
        out
    }
}

/// Waits (up to 20 s) until something accepts connections on this loopback port.
async fn wait_listening(port: u16) {
    crate::wait_until(
        &format!("something listens on port {port}"),
        Duration::from_secs(20),
        async || {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()
                .map(drop)
        },
    )
    .await;
}

/// A WebDriver session with the running kiosk.
pub struct KioskApp {
    pub client: Client,
    driver: Child,
}

fn css(testid: &str) -> String {
    format!("[data-testid=\"{testid}\"]")
}

impl KioskApp {
    /// Waits (up to 20 s) for the element with this test id.
    pub async fn wait(&self, testid: &str) -> Element {
        eprintln!("[kiosk] wait {testid}");
        // Polls like `wait_until`, but on a timeout it saves what the screen showed first.
        let deadline = Instant::now() + Duration::from_secs(20);
        let found = loop {
            match tokio::time::timeout(
                Duration::from_secs(5),
                self.client.find(Locator::Css(&css(testid))),
            )
            .await
            {
                Ok(Ok(el)) => break Ok(el),
                Ok(Err(e)) if Instant::now() > deadline => break Err(e.to_string()),
                Err(_) if Instant::now() > deadline => {
                    break Err("the WebDriver call did not answer".to_owned());
                }
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        match found {
            Ok(el) => el,
            Err(e) => {
                let shot = std::env::temp_dir().join("vestibule-kiosk-failure.png");
                let source = tokio::time::timeout(Duration::from_secs(5), self.client.source())
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .unwrap_or_default();
                eprintln!(
                    "page when {testid} did not show: {}",
                    source.chars().take(4000).collect::<String>()
                );
                if let Ok(Ok(png)) =
                    tokio::time::timeout(Duration::from_secs(5), self.client.screenshot()).await
                {
                    let _ = std::fs::write(&shot, png);
                }
                panic!(
                    "no {testid} on screen ({e}); screenshot at {}; page: {}",
                    shot.display(),
                    source.chars().take(3000).collect::<String>()
                )
            }
        }
    }

    /// Waits for whichever of these test ids shows first; returns it.
    pub async fn wait_any(&self, testids: &[&str]) -> String {
        crate::wait_until(
            &format!("one of {testids:?} shows"),
            Duration::from_secs(30),
            async || {
                for id in testids {
                    if self.client.find(Locator::Css(&css(id))).await.is_ok() {
                        return Some((*id).to_owned());
                    }
                }
                None
            },
        )
        .await
    }

    pub async fn click(&self, testid: &str) {
        eprintln!("[kiosk] click {testid}");
        self.wait(testid)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {testid}: {e}"));
    }

    pub async fn type_in(&self, testid: &str, text: &str) {
        let el = self.wait(testid).await;
        el.clear().await.expect("clear");
        el.send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {testid}: {e}"));
    }

    pub async fn text(&self, testid: &str) -> String {
        self.wait(testid).await.text().await.expect("text")
    }

    pub async fn value(&self, testid: &str) -> String {
        self.wait(testid)
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    /// The elements with this test id on screen now.
    pub async fn all(&self, testid: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(&css(testid)))
            .await
            .unwrap_or_else(|e| panic!("find {testid}: {e}"))
    }

    /// Whether an element with this test id is on screen now.
    pub async fn shows(&self, testid: &str) -> bool {
        self.client.find(Locator::Css(&css(testid))).await.is_ok()
    }

    /// Saves a screenshot as `docs/screenshots/<name>.png` in the workspace.
    pub async fn screenshot(&self, name: &str) {
        let Ok(shot) =
            tokio::time::timeout(Duration::from_secs(15), self.client.screenshot()).await
        else {
            eprintln!("[kiosk] screenshot {name}: WebKitWebDriver did not answer in 15 s; skipped");
            return;
        };
        let png = shot.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshots dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Ends the session and waits until the app and WebKitWebDriver are gone (WebKitGTK allows
    /// one automated app at a time).
    pub async fn close(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill().await;
        // Polls for 10 s at most until they are gone; after 5 s, SIGKILL what is left.
        for attempt in 0..100 {
            let left = processes(&["vestibule-kiosk", "WebKitWebDriver"]);
            if left.is_empty() {
                return;
            }
            if attempt == 50 {
                for pid in left {
                    let _ = std::process::Command::new("kill")
                        .args(["-9", &pid.to_string()])
                        .status();
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the kiosk did not exit");
    }
}

/// Pids of the processes whose name starts with one of `names`.
fn processes(names: &[&str]) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let comm = std::fs::read_to_string(e.path().join("comm")).ok()?;
            let zombie = std::fs::read_to_string(e.path().join("stat"))
                .ok()?
                .rsplit(") ")
                .next()?
                .starts_with('Z');
            (!zombie
                && names
                    .iter()
                    .any(|n| comm.trim().starts_with(&n[..n.len().min(15)])))
            .then_some(pid)
        })
        .collect()
}

/// The resident memory (kB) of the kiosk and its WebKit processes.
pub fn kiosk_rss_kb() -> (u64, Vec<(String, u64)>) {
    let mut parts = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(status) = std::fs::read_to_string(e.path().join("status")) else {
            continue;
        };
        let name = status
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("Name:"))
            .map(str::trim)
            .unwrap_or_default()
            .to_owned();
        if name.starts_with("vestibule-kiosk") || name.starts_with("WebKit") {
            let rss = status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().split(' ').next()?.parse().ok())
                .unwrap_or(0);
            parts.push((name, rss));
        }
    }
    (parts.iter().map(|(_, r)| r).sum(), parts)
}
