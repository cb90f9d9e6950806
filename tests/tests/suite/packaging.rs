//! What an operator installs, built by `cargo xtask test` as `cargo xtask dist` builds it (from
//! the debug build): the server image run read-only as its own user (ready over TLS with its
//! certificate pinned, stopped cleanly by SIGTERM, the same data after a restart); the compose
//! layout (two replicas behind HAProxy, one killed under load, nothing lost); and the kiosk's .deb
//! (its metadata and files, installed into a scratch root, the installed binary reaching the
//! setup screen) with its cage session unit.

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    time::Duration,
};

use base64::Engine as _;
use tokio::process::Command;
use vestibule_tests::{
    Api, Auth, Tenant, kiosk::KioskEnv, load::Load, server::api_at_name, wait_until,
};

fn built(var: &str) -> String {
    std::env::var(var)
        .unwrap_or_else(|_| panic!("{var} is not set: `cargo xtask test` builds the packages"))
}

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

/// Runs a command; returns its stdout, failing the test if it fails.
async fn ok(cmd: &mut Command) -> String {
    String::from_utf8_lossy(&vestibule_tests::run_ok(cmd).await).into_owned()
}

fn podman(args: &[&str]) -> Command {
    let mut cmd = Command::new("podman");
    cmd.args(args);
    cmd
}

/// A secret file of `owner` (a container's uid), readable by it only.
fn secret(dir: &Path, name: &str, content: &[u8], owner: u32) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write a secret");
    std::os::unix::fs::chown(&path, Some(owner), Some(owner)).expect("chown a secret");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).expect("chmod");
    path
}

/// A master key: base64 of 32 random bytes.
fn master_key() -> String {
    use std::io::Read as _;
    let mut key = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut key))
        .expect("random bytes");
    base64::engine::general_purpose::STANDARD.encode(key) + "\n"
}

/// Removes what a test made with podman, however the test ends.
struct Cleanup(Vec<Vec<String>>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for args in &self.0 {
            let _ = std::process::Command::new(&args[0])
                .args(&args[1..])
                .output();
        }
    }
}

/// The host port a container's 8443 is published on.
async fn published(container: &str) -> u16 {
    let port = ok(&mut podman(&["port", container, "8443"])).await;
    port.trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("a published port: {port}"))
}

async fn ready(api: &Api, what: &str) {
    wait_until(what, Duration::from_secs(120), async || {
        (api.try_send(reqwest::Method::GET, "/readyz", &Auth::None, None, &[])
            .await
            .is_ok_and(|r| r.status == 200))
        .then_some(())
    })
    .await;
}

#[tokio::test]
async fn the_server_image_runs_read_only_as_its_own_user() {
    let image = built("VESTIBULE_IMAGE");
    let name = format!("vestibule-test-{}", uuid::Uuid::now_v7().simple());
    let secrets = tempfile::tempdir().expect("tempdir");
    let key = secret(secrets.path(), "master.key", master_key().as_bytes(), 10001);
    let _cleanup = Cleanup(vec![
        vec!["podman".into(), "rm".into(), "-f".into(), name.clone()],
        vec!["podman".into(), "volume".into(), "rm".into(), name.clone()],
    ]);
    ok(&mut podman(&["volume", "create", &name])).await;
    let mount = format!("{}:/run/secrets/vestibule-master-key:ro", key.display());
    let volume = format!("{name}:/var/lib/vestibule");
    ok(&mut podman(&[
        "run",
        "-d",
        "--name",
        &name,
        "--read-only",
        "-p",
        "127.0.0.1::8443",
        "-v",
        &volume,
        "-v",
        &mount,
        &image,
    ]))
    .await;
    let cert = wait_until("the certificate", Duration::from_secs(60), async || {
        let out = podman(&["exec", &name, "cat", "/var/lib/vestibule/tls/cert.pem"])
            .output()
            .await
            .ok()?;
        (out.status.success() && !out.stdout.is_empty()).then_some(out.stdout)
    })
    .await;
    let api = api_at_name(&cert, "localhost", published(&name).await);
    ready(&api, "the container's /readyz").await;
    assert_eq!(
        ok(&mut podman(&["exec", &name, "id", "-u"])).await.trim(),
        "10001"
    );
    let touch = podman(&["exec", &name, "touch", "/written"])
        .output()
        .await
        .expect("podman exec");
    assert!(
        !touch.status.success()
            && String::from_utf8_lossy(&touch.stderr).contains("Read-only file system"),
        "the root file system is read-only"
    );
    ok(&mut podman(&["healthcheck", "run", &name])).await;
    let token = ok(&mut podman(&[
        "exec",
        &name,
        "vestibule-server",
        "operator-token",
    ]))
    .await;
    let operator = token.lines().last().expect("a token").trim().to_owned();
    let t = Tenant::setup(&api, &operator, "imaged").await;

    ok(&mut podman(&["stop", "-t", "20", &name])).await;
    let code = ok(&mut podman(&[
        "inspect",
        "-f",
        "{{.State.ExitCode}}",
        &name,
    ]))
    .await;
    assert_eq!(code.trim(), "0", "SIGTERM ends the server cleanly");
    ok(&mut podman(&["start", &name])).await;
    let api = api_at_name(&cert, "localhost", published(&name).await);
    ready(&api, "the restarted container's /readyz").await;
    let admin = api.login(&t.slug, &format!("admin@{}.test", t.slug)).await;
    let sites = api.get("/api/v1/sites", &admin).await.expect(200);
    assert!(sites.to_string().contains("Headquarters"), "{sites}");
}

/// The kiosk's .deb: its metadata and files, installed into a scratch root with dpkg, the
/// installed binary (packed as cargo built it) starting to the setup screen.
#[tokio::test]
async fn the_kiosk_package_installs_and_starts() {
    let deb = built("VESTIBULE_KIOSK_DEB");
    let info = ok(Command::new("dpkg-deb").args(["--info", &deb])).await;
    for field in [
        "Package: vestibule-kiosk",
        &format!("Version: {}", env!("CARGO_PKG_VERSION")),
        "Architecture: amd64",
        "Depends: libwebkit2gtk-4.1-0, libgtk-3-0",
        "Recommends: gnome-keyring, dbus-daemon, cage, xwayland",
    ] {
        assert!(info.contains(field), "{field} in {info}");
    }
    let contents = ok(Command::new("dpkg-deb").args(["--contents", &deb])).await;
    for file in [
        "usr/bin/vestibule-kiosk",
        "usr/lib/systemd/system/vestibule-kiosk.service",
        "usr/libexec/vestibule-kiosk-session",
        "usr/share/applications/Vestibule Kiosk.desktop",
    ] {
        assert!(
            contents.lines().any(|l| l.ends_with(file)),
            "{file} in {contents}"
        );
    }
    let root = tempfile::tempdir().expect("tempdir");
    for dir in [
        "var/lib/dpkg/info",
        "var/lib/dpkg/updates",
        "var/lib/dpkg/triggers",
    ] {
        std::fs::create_dir_all(root.path().join(dir)).expect("dpkg's dirs");
    }
    std::fs::write(root.path().join("var/lib/dpkg/status"), "").expect("dpkg's status");
    // The scratch root has no libraries: the host's satisfy the binary's dependencies.
    ok(Command::new("dpkg")
        .arg(format!("--root={}", root.path().display()))
        .args(["--force-depends", "--log=/dev/null", "-i", &deb]))
    .await;
    let installed = root.path().join("usr/bin/vestibule-kiosk");
    assert!(
        std::fs::read(&installed).expect("the installed kiosk")
            == std::fs::read(vestibule_tests::kiosk::kiosk_bin()).expect("the built kiosk"),
        "the package holds the binary as cargo built it"
    );
    let env = KioskEnv::new().await;
    let (app, _) = env.launch_bin(&installed).await;
    app.wait("screen-setup").await;
    app.close().await;
}

/// The tablet's session unit (cage on tty1) is one systemd accepts.
#[tokio::test]
async fn the_kiosk_session_unit_verifies() {
    let unit = deploy().join("kiosk/vestibule-kiosk.service");
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&unit)
        .output()
        .await
        .expect("systemd-analyze is installed");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
}

/// The scale-out layout of `deploy/compose/`: PostgreSQL, two replicas of the image and HAProxy,
/// reached only through the balancer's address with the replicas' shared certificate pinned. The
/// scale-out assertions hold through it: one key sent many times at once makes one visit, failed
/// logins lock the account whichever replica counts them, and with one replica killed under load
/// the clients go on through the other, nothing acknowledged lost or written twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_behind_haproxy_lose_nothing() {
    let image = built("VESTIBULE_IMAGE");
    let project = format!("vt{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let secrets = tempfile::tempdir().expect("tempdir");
    let dir = secrets.path();
    let password = master_key().trim().replace(['/', '+', '='], "");
    secret(dir, "master.key", master_key().as_bytes(), 10001);
    secret(
        dir,
        "postgres-password",
        format!("{password}\n").as_bytes(),
        999,
    );
    let pgpass = format!("*:*:vestibule:vestibule:{password}\n");
    secret(dir, "vestibule-pgpass", pgpass.as_bytes(), 10001);
    ok(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "30", "-subj", "/CN=vestibule"])
        .args([
            "-addext",
            "subjectAltName=DNS:vestibule,DNS:localhost,IP:127.0.0.1",
        ])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(dir.join("tls-key.pem"))
        .arg("-out")
        .arg(dir.join("tls-cert.pem")))
    .await;
    let cert = std::fs::read(dir.join("tls-cert.pem")).expect("the certificate");
    let key = std::fs::read(dir.join("tls-key.pem")).expect("the key");
    secret(dir, "tls-key.pem", &key, 10001);
    secret(dir, "tls-cert.pem", &cert, 10001);
    std::fs::set_permissions(
        dir.join("tls-cert.pem"),
        std::fs::Permissions::from_mode(0o444),
    )
    .expect("the certificate is public");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let compose = deploy().join("compose/compose.yml");
    let env = [
        ("VESTIBULE_SECRETS", dir.display().to_string()),
        ("VESTIBULE_IMAGE", image),
        ("VESTIBULE_BIND", "127.0.0.1".to_owned()),
        ("VESTIBULE_PORT", port.to_string()),
        // Every client arrives from the balancer's address and the load has one kiosk.
        ("VESTIBULE_RATE_PER_IP", "1000000".to_owned()),
        ("VESTIBULE_RATE_PER_DEVICE", "1000000".to_owned()),
        ("VESTIBULE_SIGN_IN_PER_MINUTE", "1000000".to_owned()),
    ];
    let compose_cmd = |args: &[&str]| {
        let mut cmd = Command::new("podman-compose");
        cmd.arg("-p")
            .arg(&project)
            .arg("-f")
            .arg(&compose)
            .args(args);
        cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
        cmd
    };
    let mut down = vec!["env".to_owned()];
    down.extend(env.iter().map(|(k, v)| format!("{k}={v}")));
    down.extend(["podman-compose", "-p", &project, "-f"].map(str::to_owned));
    down.extend([compose.display().to_string(), "down".into(), "-v".into()]);
    let _cleanup = Cleanup(vec![
        down,
        ["podman", "network", "rm", &format!("{project}_default")]
            .map(str::to_owned)
            .to_vec(),
    ]);
    ok(&mut compose_cmd(&["up", "-d"])).await;
    let api = api_at_name(&cert, "vestibule", port);
    ready(&api, "/readyz through HAProxy").await;
    let replica = format!("{project}_vestibule-1_1");
    let operator = wait_until("an operator token", Duration::from_secs(60), async || {
        let out = podman(&["exec", &replica, "vestibule-server", "operator-token"])
            .output()
            .await
            .ok()?;
        let token = String::from_utf8_lossy(&out.stdout);
        out.status
            .success()
            .then(|| token.lines().last().map(|l| l.trim().to_owned()))
            .flatten()
    })
    .await;
    let t = Tenant::setup(&api, &operator, "balanced").await;
    // Each request of these goes out on a connection of its own, which HAProxy gives to the
    // replica with the fewest.
    let ida = super::scale_out::across_replicas(&api, &api, &t).await;
    let load = Load::start(vec![api.clone()], t.device.clone(), t.host.clone(), 8, "lb");
    load.wait_for_progress(60).await;
    let pid = ok(&mut podman(&["inspect", "-f", "{{.State.Pid}}", &replica])).await;
    ok(Command::new("kill").args(["-9", pid.trim()])).await;
    load.wait_for_progress(60).await;
    let mut ledger = load.stop().await;
    println!(
        "acknowledged {}, other answers {:?}",
        ledger.acked.len(),
        ledger.statuses
    );
    assert!(
        ledger.statuses.keys().all(|s| *s == 0),
        "answers other than 201 and cut connections: {:?}",
        ledger.statuses
    );
    ledger.settle(&api, &t.device, &t.host).await;
    ledger
        .acked
        .insert("same-key-both-replicas".into(), (ida, "Ida Twice".into()));
    ledger.verify(&api, &t.admin).await;
}
