//! Crash safety on SQLite with group commit: a load of check-ins runs while the server is killed
//! with SIGKILL at random points, 20 times, restarting on the same port each time. Afterwards
//! every check-in that got a 201 is in the log and decrypts, and none was written twice although
//! the clients retried every unanswered check-in with its key.

use std::time::{Duration, Instant};

use vestibule_tests::{Engine, Tenant, TestServer, load::Load};

/// A small deterministic generator for the kill points (xorshift).
struct Points(u64);

impl Points {
    fn next_ms(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        lo + self.0 % (hi - lo)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_load_loses_and_duplicates_nothing() {
    let mut server = TestServer::start(Engine::Sqlite).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "crash").await;
    let load = Load::start(
        vec![api.clone()],
        t.device.clone(),
        t.host.clone(),
        16,
        "crash",
    );
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(7, |d| d.as_nanos() as u64)
        | 1;
    println!("kill points seed {seed}");
    let mut points = Points(seed);
    let started = Instant::now();
    for round in 0..20 {
        // The stimulus: a kill, and a restart, at random points of the load.
        tokio::time::sleep(Duration::from_millis(points.next_ms(50, 600))).await;
        server.kill().await;
        tokio::time::sleep(Duration::from_millis(points.next_ms(0, 100))).await;
        server.restart_same_port().await;
        println!(
            "round {round}: killed and restarted at {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    load.wait_for_progress(20).await;
    let mut ledger = load.stop().await;
    println!(
        "{} check-ins acknowledged, {} pending, answers other than 201: {:?}",
        ledger.acked.len(),
        ledger.pending.len(),
        ledger.statuses
    );
    assert!(
        ledger.acked.len() > 100,
        "the load made too few check-ins to prove anything"
    );
    assert!(
        ledger.statuses.get(&0).copied().unwrap_or(0) > 0,
        "the kills cut no request"
    );
    assert!(
        ledger.statuses.keys().all(|s| *s == 0 || *s == 503),
        "unexpected answers: {:?}",
        ledger.statuses
    );

    ledger.settle(&api, &t.device, &t.host).await;
    ledger.verify(&api, &t.admin).await;

    // Replaying acknowledged check-ins finds the same visits.
    for (key, (id, name)) in ledger.acked.iter().take(50) {
        let r = api
            .check_in(
                &t.device,
                key,
                &vestibule_tests::api::visitor(&t.host, name, "load@example.com"),
            )
            .await;
        assert_eq!(r.headers["idempotent-replayed"], "true");
        assert_eq!(r.expect(201)["visit_id"].as_str(), Some(id.as_str()));
    }
}
