//! A wrong, missing or exposed master key (KEK) stops the server at start with a clear message:
//! it never starts, and it never writes new keys over the existing data. With the right key back,
//! everything reads as before.

use std::{os::unix::fs::PermissionsExt, path::Path, process::Command, time::Duration};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use vestibule_tests::{Engine, Tenant, TestServer, server::server_bin};

/// Runs `serve` once; returns its stderr if it exits on its own within 30 s (and fails if it starts).
fn refused(storage: &[String], env: &[(&str, &str)]) -> String {
    let mut child = Command::new(server_bin())
        .arg("serve")
        .args(storage)
        .args(["--listen", "127.0.0.1:0"])
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    for _ in 0..300 {
        if let Some(status) = child.try_wait().expect("wait") {
            let out = child.wait_with_output().expect("output");
            assert!(!status.success(), "the server must exit with an error");
            return String::from_utf8_lossy(&out.stderr).into_owned();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("the server started with a bad master key");
}

fn write_key(path: &Path, text: &str, mode: u32) {
    std::fs::write(path, text).expect("write key");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

async fn refuses_bad_master_keys(engine: Engine) {
    let mut server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    t.check_in(&api, "before", "Kept Visitor").await;
    server.kill().await;

    let key_file = server.data_dir.path().join("master.key");
    let original = std::fs::read_to_string(&key_file).expect("the key file made on first start");
    let mode = std::fs::metadata(&key_file).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the key file is created owner-only");
    let other = STANDARD.encode([7u8; 32]);
    let storage = server.storage.clone();

    write_key(&key_file, &other, 0o600);
    let err = refused(&storage, &[]);
    assert!(err.contains("is not the one this database was written under"), "{err}");

    std::fs::remove_file(&key_file).expect("remove");
    let err = refused(&storage, &[]);
    assert!(err.contains("no master key"), "{err}");
    assert!(!key_file.exists(), "no new key was made over existing data");

    write_key(&key_file, &original, 0o644);
    let err = refused(&storage, &[]);
    assert!(err.contains("mode 0644"), "{err}");

    write_key(&key_file, &original, 0o600);
    let err = refused(&storage, &[("VESTIBULE_MASTER_KEY", &other)]);
    assert!(err.contains("is not the one"), "the environment variable is used when set: {err}");
    let err = refused(&storage, &[("VESTIBULE_MASTER_KEY", "not base64!")]);
    assert!(err.contains("base64"), "{err}");

    // The right key: the server starts and reads what it wrote, also with the key in the environment.
    server.restart().await;
    let api = server.api();
    let admin = api.login("acme", "admin@acme.test").await;
    let log = api.get("/api/v1/visits", &admin).await.expect(200);
    assert_eq!(log["items"][0]["visitor_name"], "Kept Visitor");
    assert!(!server.log().contains(original.trim()), "the key never appears in the log");
}

#[tokio::test]
async fn refuses_bad_master_keys_on_sqlite() {
    refuses_bad_master_keys(Engine::Sqlite).await;
}

#[tokio::test]
async fn refuses_bad_master_keys_on_postgres() {
    refuses_bad_master_keys(Engine::Postgres).await;
}
