//! The admin console in a real browser: Debian's headless Chromium driven by its
//! `chromedriver` over WebDriver (fantoccini, as for the kiosk). The browser trusts the test
//! server's self-signed certificate the way a user's would: it is added as a trusted peer to
//! the NSS database in the browser's own private home (`certutil`), so TLS is verified as
//! usual. One browser session serves a whole walk through the console.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use crate::{TestServer, wait_until};

/// A headless Chromium session with its chromedriver.
pub struct Browser {
    pub client: Client,
    /// The origin the console is served from.
    pub base: String,
    driver: Child,
    home: tempfile::TempDir,
}

fn run(cmd: &mut std::process::Command) {
    let out = cmd
        .output()
        .expect("certutil must be installed (libnss3-tools)");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An NSS database under `home` that trusts `cert_pem` as a TLS server (a trusted peer).
fn trust(home: &Path, cert_pem: &[u8]) {
    let db = home.join(".pki/nssdb");
    std::fs::create_dir_all(&db).expect("nssdb dir");
    let dir = format!("sql:{}", db.display());
    run(std::process::Command::new("certutil").args(["-N", "-d", &dir, "--empty-password"]));
    let pem = home.join("server.pem");
    std::fs::write(&pem, cert_pem).expect("server cert");
    run(std::process::Command::new("certutil").args([
        "-A",
        "-d",
        &dir,
        "-n",
        "vestibule-test-server",
        "-t",
        "P,,",
        "-i",
        &pem.to_string_lossy(),
    ]));
}

/// A free loopback port.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The CSS selector of a test id.
pub fn testid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

impl Browser {
    /// Starts chromedriver and a headless Chromium that trusts `server`'s certificate.
    pub async fn start(server: &TestServer) -> Browser {
        let home = tempfile::tempdir().expect("browser home");
        trust(home.path(), &server.cert_pem());
        let port = free_port();
        let log = std::fs::File::create(home.path().join("chromedriver.log")).expect("log");
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .env("HOME", home.path())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver must be installed; `cargo xtask test` installs chromium-driver");
        wait_until(
            "chromedriver listens",
            Duration::from_secs(20),
            async || {
                tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .ok()
                    .map(drop)
            },
        )
        .await;
        let mut caps = serde_json::Map::new();
        let profile = home.path().join("profile");
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new",
                    // Root in a container has no user namespaces for Chromium's process sandbox.
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--window-size=1366,900",
                    "--lang=en-US",
                    format!("--user-data-dir={}", profile.display()),
                ],
                "prefs": { "download.default_directory": home.path().join("downloads") },
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| {
                let log = std::fs::read_to_string(home.path().join("chromedriver.log"))
                    .unwrap_or_default();
                panic!("a WebDriver session with Chromium: {e}\n--- chromedriver's log ---\n{log}")
            });
        Browser {
            client,
            base: server.base(),
            driver,
            home,
        }
    }

    /// Where the browser saves downloads.
    pub fn downloads(&self) -> PathBuf {
        self.home.path().join("downloads")
    }

    /// Opens `path` of the console.
    pub async fn open(&self, path: &str) {
        eprintln!("[console] open {path}");
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// Waits (up to 20 s) for an element matching `css`; on a timeout, panics with the page.
    pub async fn wait(&self, css: &str) -> Element {
        let found = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                if let Ok(el) = self.client.find(Locator::Css(css)).await {
                    return el;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        match found {
            Ok(el) => el,
            Err(_) => {
                let page = self.client.source().await.unwrap_or_default();
                let shot = std::env::temp_dir().join("vestibule-console-failure.png");
                if let Ok(png) = self.client.screenshot().await {
                    let _ = std::fs::write(&shot, png);
                }
                panic!(
                    "nothing matches {css} (screenshot at {}); page: {}",
                    shot.display(),
                    page.chars().take(4000).collect::<String>()
                )
            }
        }
    }

    /// Waits until `css` matches at least `n` elements; returns them.
    pub async fn wait_count(&self, css: &str, n: usize) -> Vec<Element> {
        wait_until(
            &format!("{n} of {css} show"),
            Duration::from_secs(20),
            async || {
                let all = self.client.find_all(Locator::Css(css)).await.ok()?;
                (all.len() >= n).then_some(all)
            },
        )
        .await
    }

    /// Waits until the element matching `css` has text containing `text`.
    pub async fn wait_text(&self, css: &str, text: &str) -> String {
        wait_until(
            &format!("{css} shows {text:?}"),
            Duration::from_secs(20),
            async || {
                let el = self.client.find(Locator::Css(css)).await.ok()?;
                let shown = el.text().await.ok()?;
                shown.contains(text).then_some(shown)
            },
        )
        .await
    }

    /// Clicks the element matching `css`; found again if a re-render replaced it meanwhile
    /// (a live update can redraw a list between finding a button and clicking it).
    pub async fn click(&self, css: &str) {
        eprintln!("[console] click {css}");
        for _ in 0..5 {
            match self.wait(css).await.click().await {
                Ok(_) => return,
                Err(e) if e.to_string().contains("stale element") => continue,
                Err(e) => panic!("click {css}: {e}"),
            }
        }
        panic!("click {css}: the element kept being replaced");
    }

    /// Replaces the value of the input matching `css` with `text`.
    pub async fn type_in(&self, css: &str, text: &str) {
        let el = self.wait(css).await;
        el.clear().await.expect("clear");
        el.send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Chooses the option with `value` in the select matching `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.wait(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("select {value} in {css}: {e}"));
    }

    pub async fn text(&self, css: &str) -> String {
        self.wait(css).await.text().await.expect("text")
    }

    /// Runs `script` in the page and returns what it returned.
    pub async fn eval(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    /// Runs axe-core (from the `ui/` workspace's packages) on the page; returns the serious and
    /// critical violations as `id: help (n nodes)`.
    pub async fn axe(&self) -> Vec<String> {
        let source = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../ui/node_modules/axe-core/axe.min.js");
        let axe = std::fs::read_to_string(&source).unwrap_or_else(|e| {
            panic!("{}: {e} (`cargo xtask test` installs it)", source.display())
        });
        // Injected through WebDriver, not a <script>: the console's CSP forbids inline code,
        // and a WebDriver script is not subject to it.
        self.eval(&axe, vec![]).await;
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done(r.violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => v.id + ': ' + v.help + ' (' + v.nodes.length + ' nodes: '
                        + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ') + ')')))
                   .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .expect("axe.run");
        serde_json::from_value(found).expect("violations")
    }

    /// Saves a screenshot as `docs/screenshots/console/<name>.png` in the workspace.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots/console");
        std::fs::create_dir_all(&dir).expect("screenshots dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Ends the session and stops chromedriver (and with it Chromium).
    pub async fn close(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill().await;
    }
}
