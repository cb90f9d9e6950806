//! A wrong, missing or exposed master key (KEK) stops the server at start with a clear message:
//! it never starts, and it never writes new keys over the existing data. With the right key back,
//! everything reads as before.

use std::{os::unix::fs::PermissionsExt, path::Path, time::Duration};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use vestibule_tests::{Engine, Tenant, TestServer, keychain::SecretService, server::server_bin};

/// Runs `serve` once; returns its stderr if it exits on its own within 30 s (and fails if it starts).
async fn refused(storage: &[String], env: &[(&str, &str)]) -> String {
    let child = tokio::process::Command::new(server_bin())
        .arg("serve")
        .args(storage)
        .args(["--listen", "127.0.0.1:0"])
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("the server started with a bad master key")
        .expect("wait for the server");
    assert!(!out.status.success(), "the server must exit with an error");
    String::from_utf8_lossy(&out.stderr).into_owned()
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
    let mode = std::fs::metadata(&key_file)
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "the key file is created owner-only");
    let other = STANDARD.encode([7u8; 32]);
    let storage = server.storage.clone();

    write_key(&key_file, &other, 0o600);
    let err = refused(&storage, &[]).await;
    assert!(
        err.contains("is not the one this database was written under"),
        "{err}"
    );

    std::fs::remove_file(&key_file).expect("remove");
    let err = refused(&storage, &[]).await;
    assert!(err.contains("no master key"), "{err}");
    assert!(!key_file.exists(), "no new key was made over existing data");

    write_key(&key_file, &original, 0o644);
    let err = refused(&storage, &[]).await;
    assert!(err.contains("mode 0644"), "{err}");

    write_key(&key_file, &original, 0o600);
    let err = refused(&storage, &[("VESTIBULE_MASTER_KEY", &other)]).await;
    assert!(
        err.contains("is not the one"),
        "the environment variable is used when set: {err}"
    );
    let err = refused(&storage, &[("VESTIBULE_MASTER_KEY", "not base64!")]).await;
    assert!(err.contains("base64"), "{err}");

    // The right key: the server starts and reads what it wrote, also with the key in the environment.
    server.restart().await;
    let api = server.api();
    let admin = api.login("acme", "admin@acme.test").await;
    let log = api.get("/api/v1/visits", &admin).await.expect(200);
    assert_eq!(log["items"][0]["visitor_name"], "Kept Visitor");
    assert!(
        !server.log().contains(original.trim()),
        "the key never appears in the log"
    );
}

both_engines!(refuses_bad_master_keys);

/// The master key in the OS keychain: a real Secret Service (gnome-keyring on a private session
/// bus). No key file is made; the key survives restarts and a rotation; another keychain, or none,
/// is refused.
#[tokio::test]
async fn keeps_the_master_key_in_the_keychain() {
    let keychain = SecretService::start();
    let entry = (
        "VESTIBULE_MASTER_KEY_KEYCHAIN".to_owned(),
        "vestibule-test".to_owned(),
    );
    let env: Vec<(String, String)> = keychain.env().into_iter().chain([entry.clone()]).collect();
    let mut server = TestServer::start_env(Engine::Sqlite, &[], env).await;
    assert!(
        !server.data_dir.path().join("master.key").exists(),
        "no key file when the keychain holds the key"
    );
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    t.check_in(&api, "k", "Keychain Visitor").await;
    let rotated = server.command(&["keys", "rotate-kek"]).await;
    assert!(
        rotated.contains("the old master key is no longer needed"),
        "{rotated}"
    );
    server.kill().await;
    server.restart().await;
    let api = server.api();
    let admin = api.login("acme", "admin@acme.test").await;
    let log = api.get("/api/v1/visits", &admin).await.expect(200);
    assert_eq!(
        log["items"][0]["visitor_name"], "Keychain Visitor",
        "read back under the rotated key from the keychain"
    );
    server.kill().await;

    let storage = server.storage.clone();
    let empty = SecretService::start();
    let env = [
        ("DBUS_SESSION_BUS_ADDRESS", empty.address.as_str()),
        ("VESTIBULE_MASTER_KEY_KEYCHAIN", "vestibule-test"),
    ];
    let err = refused(&storage, &env).await;
    assert!(
        err.contains("no master key in the keychain entry master-key@vestibule-test"),
        "{err}"
    );
    drop(empty);
    let err = refused(
        &storage,
        &[
            ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus"),
            ("VESTIBULE_MASTER_KEY_KEYCHAIN", "vestibule-test"),
        ],
    )
    .await;
    assert!(err.contains("keychain"), "no keychain, no start: {err}");
}
