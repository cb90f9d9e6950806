//! Key rotation on a live server: check-ins keep succeeding while `keys rotate-dek` and
//! `keys rotate-kek` run beside the server; afterwards every row decrypts (also after a restart
//! under the new master key) and `keys status` shows only the new data-key version. A
//! re-encryption killed half-way leaves a readable mix of versions and finishes when run again.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use vestibule_tests::{Api, Engine, Tenant, TestServer, api::visitor, wait_until};

/// One tenant's line of `keys status`.
fn status_line(status: &str, slug: &str) -> String {
    status
        .lines()
        .find(|l| l.starts_with(&format!("{slug}: ")))
        .unwrap_or_else(|| panic!("no status of {slug} in {status}"))
        .to_owned()
}

/// The values-per-version part of a status line, e.g. `v2=310`.
fn versions_in(line: &str) -> Vec<String> {
    line.split(" values ")
        .nth(1)
        .expect("values")
        .split(' ')
        .map(|v| v.split('=').next().expect("version").to_owned())
        .collect()
}

/// Names of every visit in the admin's log (the server decrypts each one).
async fn logged_names(api: &Api, t: &Tenant) -> Vec<String> {
    let mut names = Vec::new();
    loop {
        let body = api
            .get(
                &format!("/api/v1/visits?limit=200&offset={}", names.len()),
                &t.admin,
            )
            .await
            .expect(200);
        let items = body["items"].as_array().expect("items").clone();
        names.extend(
            items
                .iter()
                .map(|v| v["visitor_name"].as_str().expect("name").to_owned()),
        );
        if items.len() < 200 {
            return names;
        }
    }
}

/// Checks visitors in at `t` until `stop`; returns how many got a 201 and every other status.
fn load(
    api: Api,
    t: Tenant,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
) -> tokio::task::JoinHandle<Vec<u16>> {
    tokio::spawn(async move {
        let mut failures = Vec::new();
        let mut i = 0;
        while !stop.load(Ordering::Relaxed) {
            let r = api
                .check_in(
                    &t.device,
                    &format!("load-{i}"),
                    &visitor(&t.host, &format!("Load Visitor {i}"), "load@example.com"),
                )
                .await;
            if r.status == 201 {
                done.fetch_add(1, Ordering::Relaxed);
            } else {
                failures.push(r.status.as_u16());
            }
            i += 1;
        }
        failures
    })
}

async fn check_ins_continue_during_both_rotations(engine: Engine) {
    let mut server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    for i in 0..40 {
        t.check_in(&api, &format!("before-{i}"), &format!("Early Visitor {i}"))
            .await;
    }
    let before = status_line(&server.command(&["keys", "status"]).await, "acme");
    assert!(
        before.contains("key_version=1 min_decryption_version=1"),
        "{before}"
    );

    let (stop, done) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicUsize::new(0)),
    );
    let load = load(api.clone(), t.clone(), stop.clone(), done.clone());
    wait_until("the load is going", Duration::from_secs(30), async || {
        (done.load(Ordering::Relaxed) > 0).then_some(())
    })
    .await;
    let dek = server
        .command(&["keys", "rotate-dek", "--all", "--batch-size", "25"])
        .await;
    assert!(
        dek.contains("acme: new key version 2") && dek.contains("older data keys destroyed"),
        "{dek}"
    );
    let during_dek = done.load(Ordering::Relaxed);
    let kek = server.command(&["keys", "rotate-kek"]).await;
    assert!(
        kek.contains("the old master key is no longer needed"),
        "{kek}"
    );
    let after_kek = done.load(Ordering::Relaxed);
    wait_until(
        "a check-in succeeds after both rotations",
        Duration::from_secs(30),
        async || (done.load(Ordering::Relaxed) > after_kek).then_some(()),
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    let failures = load.await.expect("load task");
    let loaded = done.load(Ordering::Relaxed);
    assert!(
        failures.is_empty(),
        "check-ins failed during rotation: {failures:?}"
    );
    assert!(
        loaded > during_dek && during_dek > 0,
        "check-ins went on during both rotations ({during_dek}, then {loaded})"
    );

    // The running server took the new master key from its key file: a new tenant works.
    let other = Tenant::setup(&api, &server.operator_token, "globex").await;
    other
        .check_in(&api, "after-kek", "Post Rotation Visitor")
        .await;

    let after = server.command(&["keys", "status"]).await;
    let line = status_line(&after, "acme");
    assert!(
        line.contains("key_version=2 min_decryption_version=2"),
        "{line}"
    );
    assert_eq!(
        versions_in(&line),
        vec!["v2"],
        "only the new version is in use: {line}"
    );
    let kek_of = |l: &str| {
        l.split("kek=")
            .nth(1)
            .expect("kek")
            .split(' ')
            .next()
            .expect("id")
            .to_owned()
    };
    assert_ne!(
        kek_of(&before),
        kek_of(&line),
        "the keys are wrapped under the new master key"
    );
    assert_eq!(kek_of(&line), kek_of(&status_line(&after, "globex")));

    let expected = 40 + loaded;
    assert_eq!(
        logged_names(&api, &t).await.len(),
        expected,
        "every check-in is there and decrypts"
    );
    server.kill().await;
    server.restart().await;
    let api = server.api();
    let names = logged_names(&api, &t).await;
    assert_eq!(
        names.len(),
        expected,
        "after a restart under the new master key"
    );
    assert!(
        names.contains(&"Early Visitor 0".to_owned())
            && names.contains(&"Load Visitor 0".to_owned())
    );
    assert!(
        !server.data_dir.path().join("master.key.next").exists(),
        "the new key was promoted"
    );
}

async fn interrupted_reencryption_resumes(engine: Engine) {
    let server = TestServer::start(engine).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    for i in 0..120 {
        t.check_in(&api, &format!("v-{i}"), &format!("Visitor {i}"))
            .await;
    }
    let mut rotation = server
        .command_child(&[
            "keys",
            "rotate-dek",
            "--tenant",
            "acme",
            "--batch-size",
            "5",
            "--pause-ms",
            "100",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn rotate-dek");
    // Kill it once some, but not all, rows have moved to the new key.
    let mixed = wait_until(
        "some rows, not all, have the new key",
        Duration::from_secs(60),
        async || {
            Some(status_line(
                &server.command(&["keys", "status"]).await,
                "acme",
            ))
            .filter(|line| versions_in(line) == ["v1", "v2"])
        },
    )
    .await;
    rotation.kill().await.expect("kill rotate-dek");
    assert!(
        mixed.contains("key_version=2 min_decryption_version=1"),
        "the rotation was caught half-way: {mixed}"
    );
    let line = status_line(&server.command(&["keys", "status"]).await, "acme");
    assert_eq!(
        versions_in(&line),
        vec!["v1", "v2"],
        "killed half-way: {line}"
    );

    // Half-way, everything still reads and new check-ins use the new key.
    assert_eq!(logged_names(&api, &t).await.len(), 120);
    t.check_in(&api, "mid-rotation", "Mid Rotation Visitor")
        .await;

    let resumed = server
        .command(&["keys", "rotate-dek", "--tenant", "acme"])
        .await;
    assert!(
        resumed.contains("acme: resuming the rotation to key version 2"),
        "{resumed}"
    );
    let line = status_line(&server.command(&["keys", "status"]).await, "acme");
    assert!(
        line.contains("key_version=2 min_decryption_version=2"),
        "{line}"
    );
    assert_eq!(versions_in(&line), vec!["v2"], "{line}");
    let names = logged_names(&api, &t).await;
    assert_eq!(names.len(), 121, "nothing lost");
    assert!((0..120).all(|i| names.contains(&format!("Visitor {i}"))));
}

both_engines!(
    check_ins_continue_during_both_rotations,
    interrupted_reencryption_resumes
);
