//! What an operator ships and upgrades with (`deploy/`, `CHANGELOG.md`): one version
//! everywhere; a database from a newer build refused untouched; the alert rules and dashboard,
//! checked by promtool against a real scrape; the hardened systemd unit.

use vestibule_tests::{Auth, Engine, TestServer};

/// The version `--version` prints is the one `/healthz` answers (and the CHANGELOG's newest).
#[tokio::test]
async fn the_version_is_the_same_everywhere() {
    let server = TestServer::start(Engine::Sqlite).await;
    let out = tokio::process::Command::new(vestibule_tests::server::server_bin())
        .arg("--version")
        .output()
        .await
        .expect("run vestibule-server --version");
    let printed = String::from_utf8_lossy(&out.stdout);
    let version = printed
        .trim()
        .strip_prefix("vestibule-server ")
        .expect("`vestibule-server <version>`")
        .to_owned();
    let health = server.api().get("/healthz", &Auth::None).await.expect(200);
    assert_eq!(health["version"], version.as_str());
    let changelog = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../CHANGELOG.md"),
    )
    .expect("CHANGELOG.md");
    assert!(
        changelog.contains(&format!("## [{version}]")),
        "CHANGELOG.md has a section for {version}"
    );
}

/// A database a newer build migrated is refused with a clear message, and nothing is written.
#[tokio::test]
async fn a_database_from_a_newer_build_is_refused() {
    use sqlx::Connection as _;
    let mut server = TestServer::start(Engine::Sqlite).await;
    server.kill().await;
    let file = server.data_dir.path().join("vestibule.db");
    let url = format!("sqlite://{}", file.display());
    let mut db = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("open the database");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990101, 'from the future', 1, x'00', 0)",
    )
    .execute(&mut db)
    .await
    .expect("a newer build's migration");
    db.close().await.expect("close");
    let before = std::fs::read(&file).expect("the database");
    let out = server
        .command_child(&["serve", "--listen", "127.0.0.1:0"])
        .output()
        .await
        .expect("run vestibule-server serve");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "refused: {stderr}");
    assert!(
        stderr.contains("migrated by a newer vestibule-server")
            && stderr.contains("99990101")
            && stderr.contains("nothing was changed"),
        "{stderr}"
    );
    assert!(
        std::fs::read(&file).expect("the database") == before,
        "the database file is unchanged"
    );
}

/// Monitoring as code (`deploy/`): the alert rules pass `promtool check rules` and their unit
/// tests (`promtool test rules`, a series per alert), and every metric the rules and the Grafana
/// dashboard name is one a real scrape has.
#[tokio::test]
async fn alert_rules_and_dashboard_name_real_metrics() {
    let deploy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy");
    let prometheus = deploy.join("prometheus");
    for args in [
        ["check", "rules", "vestibule.rules.yml"],
        ["test", "rules", "vestibule.rules.test.yml"],
    ] {
        let out = std::process::Command::new("promtool")
            .args(args)
            .current_dir(&prometheus)
            .output()
            .expect("promtool is installed (cargo xtask test installs Debian's prometheus)");
        assert!(
            out.status.success(),
            "promtool {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let rules = std::fs::read_to_string(prometheus.join("vestibule.rules.yml")).expect("rules");
    let dashboard =
        std::fs::read_to_string(deploy.join("grafana/vestibule.json")).expect("dashboard");
    let parsed: serde_json::Value = serde_json::from_str(&dashboard).expect("dashboard JSON");
    assert!(parsed["panels"].as_array().is_some_and(|p| p.len() >= 8));

    let server = TestServer::start(Engine::Sqlite).await;
    // One request before the scrape, so that the request counters have a series.
    server.api().get("/healthz", &Auth::None).await.expect(200);
    let scrape = server
        .api()
        .get("/metrics", &Auth::bearer(&server.operator_token))
        .await;
    assert_eq!(scrape.status, 200, "{}", scrape.text);
    let text = scrape.text;
    let families: std::collections::HashSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.split(' ').next())
        .collect();
    let named = |source: &str| -> Vec<String> {
        let mut names = Vec::new();
        let mut rest = source;
        while let Some(at) = rest.find("vestibule_") {
            let name: String = rest[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            rest = &rest[at + name.len()..];
            names.push(name);
        }
        names
    };
    let mut checked = 0;
    for name in named(&rules).into_iter().chain(named(&dashboard)) {
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(&name);
        assert!(
            families.contains(family) || families.contains(name.as_str()),
            "{name} is in deploy/ but not in a scrape: {families:?}"
        );
        checked += 1;
    }
    assert!(checked >= 15, "{checked} metric names checked");
}

/// The one-machine systemd unit (`deploy/systemd/`) rates "OK" or better in `systemd-analyze
/// security` (read offline: no systemd runs here), and its `ExecStart` flags are the server's.
#[tokio::test]
async fn the_systemd_unit_is_hardened() {
    let unit = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy/systemd/vestibule-server.service");
    let out = std::process::Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(&unit)
        .output()
        .expect("systemd-analyze is installed (cargo xtask test installs Debian's systemd)");
    let said = String::from_utf8_lossy(&out.stdout);
    let overall = said
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or_else(|| panic!("no overall rating: {said}"));
    let (score, label) = overall
        .rsplit_once(": ")
        .and_then(|(_, r)| r.split_once(' '))
        .expect("`<score> <label>`");
    let score: f64 = score.parse().expect("a score");
    assert!(
        score < 5.0
            && ["OK", "SAFE", "PERFECT"]
                .iter()
                .any(|l| label.starts_with(l)),
        "{overall}"
    );
    let text = std::fs::read_to_string(&unit).expect("the unit");
    let exec = text
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart=/usr/bin/vestibule-server "))
        .expect("ExecStart");
    let args: Vec<String> = exec
        .split_whitespace()
        .map(|a| {
            a.replace("${STATE_DIRECTORY}", "/var/lib/vestibule")
                .replace("${CREDENTIALS_DIRECTORY}", "/run/credentials")
        })
        .collect();
    let help = tokio::process::Command::new(vestibule_tests::server::server_bin())
        .args(&args)
        .arg("--help")
        .output()
        .await
        .expect("run vestibule-server");
    assert!(
        help.status.success(),
        "vestibule-server {exec}: {}",
        String::from_utf8_lossy(&help.stderr)
    );
}
