//! Retention on both engines, through the store on a clock the test moves: 10,000 visits checked
//! in over 400 days (25 a day, each by a visitor of their own), `retention_days: 90`, one run:
//! exactly the visits older than 90 days are gone, with their visitors; the rest are intact and
//! decrypt; the audit chain verifies and holds one entry with the counts; a second run the same
//! day does nothing, unless the tenant lowered its days meanwhile (60: the visits now too old go
//! at once). On SQLite no removed visitor's sealed name is left anywhere in the database
//! file, its write-ahead log or a backup taken after the run, even while another connection
//! checkpoints.

use std::collections::HashSet;

use chrono::Duration;
use server::{
    ids::TenantId,
    store::{Actor, Flow, NewVisit, Store},
};
use uuid::Uuid;
use vestibule_shared::dto::visits::CheckIn;
use vestibule_tests::Engine;

use crate::storage_support::{Fixture, site_with_host, tenant};

const DAYS: i64 = 400;
const PER_DAY: usize = 25;

fn walk_in(site: Uuid, host: Uuid, day: i64, i: usize) -> NewVisit {
    let body: CheckIn = serde_json::from_value(serde_json::json!({
        "visitor": {"name": format!("Rhea Retained {day}-{i}"), "email": format!("rhea.{day}.{i}@example.com")},
        "host_id": host,
    }))
    .expect("valid check-in");
    NewVisit {
        site_id: site,
        host_id: host,
        visitor: body.visitor,
        purpose: None,
        actor: Actor::System,
        kiosk_id: None,
        idempotency: None,
        flow: Flow::Vouched,
        offline: None,
    }
}

/// How many of `needles` (16 bytes of a sealed value each) are somewhere in `hay`.
fn found(hay: &[u8], needles: &HashSet<[u8; 16]>) -> usize {
    hay.windows(16)
        .filter_map(|w| <[u8; 16]>::try_from(w).ok())
        .filter(|w| needles.contains(w))
        .collect::<HashSet<_>>()
        .len()
}

async fn keeps_only_the_last_90_days(engine: Engine) {
    let fx = Fixture::on(engine).await;
    let t: TenantId = tenant(&fx, "keeper").await;
    let mut tx = fx.store.write(t).await.expect("tx");
    let (site, host) = site_with_host(&mut tx, "Lyon").await;
    let mut settings = tx.settings().await.expect("settings");
    assert_eq!(settings.retention_days, 365, "the default");
    settings.retention_days = 90;
    tx.update_settings(&settings).await.expect("settings");
    tx.commit().await.expect("commit");

    let clock = fx.store.clock().clone();
    let mut visits = Vec::new();
    for day in 0..DAYS {
        let batch = (0..PER_DAY)
            .map(|i| (t, walk_in(site, host, day, i)))
            .collect();
        for answer in fx.store.check_in_together(batch).await.expect("batch") {
            let (row, _) = answer.expect("check-in");
            visits.push(row);
        }
        clock.advance(Duration::days(1));
    }
    let cutoff = clock.now() - Duration::days(90);
    let (old, kept): (Vec<_>, Vec<_>) = visits.iter().partition(|v| v.checked_in_at < cutoff);
    assert_eq!(old.len() + kept.len(), 10_000);
    // The sealed names of the visitors to be removed, and of those kept (which the scan below
    // must find, to show that it would find the others).
    let (mut sealed, mut sealed_kept) = (HashSet::new(), HashSet::new());
    if fx.sqlite_file().is_some() {
        let gone: HashSet<Uuid> = old.iter().map(|v| v.visitor_id).collect();
        for (id, name) in fx.sqlite_bytes("SELECT id, name_enc FROM visitors").await {
            let Some(window) = name.get(8..24).and_then(|w| <[u8; 16]>::try_from(w).ok()) else {
                continue;
            };
            if Uuid::from_slice(&id).is_ok_and(|id| gone.contains(&id)) {
                sealed.insert(window);
            } else {
                sealed_kept.insert(window);
            }
        }
    }

    let started = std::time::Instant::now();
    let removed = server::retention::run_once(&fx.store).await.expect("run");
    let took = started.elapsed();
    eprintln!(
        "[retention] {engine:?}: removed {} visits and {} visitors in {took:?} ({:.2} s per 100,000 visits)",
        removed.visits,
        removed.visitors,
        took.as_secs_f64() * 100_000.0 / removed.visits.max(1) as f64
    );
    assert_eq!(removed.visits, old.len() as u64);
    assert_eq!(removed.visitors, old.len() as u64);
    let again = server::retention::run_once(&fx.store).await.expect("again");
    assert_eq!(again.visits, 0, "once a day");

    let mut tx = fx.store.read(t).await.expect("tx");
    for v in &old {
        assert!(tx.visit(v.id).await.expect("read").is_none(), "removed");
    }
    for v in &kept {
        let row = tx.visit(v.id).await.expect("read").expect("kept");
        assert!(row.visitor_name.starts_with("Rhea Retained "), "decrypts");
    }
    tx.commit().await.expect("commit");
    audit_holds_the_run(&fx.store, t, removed.visits).await;

    if let Some(db) = fx.sqlite_file() {
        assert_eq!(sealed.len(), old.len());
        let backup = db.with_file_name("after.db");
        Store::backup_sqlite(&db, &backup).await.expect("backup");
        let kept_found = found(&std::fs::read(&backup).expect("backup"), &sealed_kept);
        assert_eq!(kept_found, kept.len(), "the scan finds every kept name");
        for file in [db.clone(), db.with_file_name("vestibule.db-wal"), backup] {
            let bytes = std::fs::read(&file).unwrap_or_default();
            assert_eq!(
                found(&bytes, &sealed),
                0,
                "a removed visitor's sealed name is still in {}",
                file.display()
            );
        }
    }

    // Lowered the same day: the run happens again at the next look, for the visits now too old.
    let mut tx = fx.store.write(t).await.expect("tx");
    let mut settings = tx.settings().await.expect("settings");
    settings.retention_days = 60;
    tx.reopen_retention().await.expect("reopen");
    tx.update_settings(&settings).await.expect("settings");
    tx.commit().await.expect("commit");
    let cutoff = clock.now() - Duration::days(60);
    let now_old = kept.iter().filter(|v| v.checked_in_at < cutoff).count();
    assert!(now_old > 0);
    let lowered = server::retention::run_once(&fx.store)
        .await
        .expect("lowered");
    assert_eq!(lowered.visits, now_old as u64, "the visits now too old");
}

/// The chain verifies and its last entry is the run's, with counts and nothing personal.
async fn audit_holds_the_run(store: &Store, t: TenantId, visits: u64) {
    store.seal_audit(t).await.expect("seal");
    let mut tx = store.read(t).await.expect("tx");
    let check = tx.verify_audit().await.expect("verify");
    assert!(check.broken_at.is_none(), "the chain verifies");
    let (entries, _) = tx.audit_entries(1, 0).await.expect("audit");
    assert_eq!(entries[0].action, "retention.run");
    assert!(
        entries[0].target.contains(&format!(":visits={visits},")),
        "{}",
        entries[0].target
    );
    assert!(!entries[0].target.contains("Rhea"));
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn retention_keeps_only_the_last_90_days_on_sqlite() {
    keeps_only_the_last_90_days(Engine::Sqlite).await;
}

#[tokio::test]
async fn retention_keeps_only_the_last_90_days_on_postgres() {
    keeps_only_the_last_90_days(Engine::Postgres).await;
}

/// The scrub empties SQLite's write-ahead log even while another connection checkpoints over and
/// over: SQLite then answers the scrub's checkpoint `busy` without copying the whole log, and
/// the store must try again rather than leave old frames behind.
#[tokio::test]
async fn scrub_empties_the_log_beside_other_checkpoints() {
    let fx = Fixture::sqlite().await;
    let t: TenantId = tenant(&fx, "scrubbed").await;
    let mut tx = fx.store.write(t).await.expect("tx");
    let (site, host) = site_with_host(&mut tx, "Nantes").await;
    tx.commit().await.expect("commit");
    let wal = fx
        .sqlite_file()
        .expect("SQLite")
        .with_file_name("vestibule.db-wal");

    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let pool = fx.sqlite_pool();
    let other = tokio::spawn(async move {
        let mut busy = 0_u32;
        while !*stopped.borrow_and_update() {
            let (b, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&pool)
                .await
                .expect("passive checkpoint");
            busy += u32::from(b != 0);
        }
        busy
    });
    for round in 0..40 {
        let batch = (0..5).map(|i| (t, walk_in(site, host, round, i))).collect();
        for answer in fx.store.check_in_together(batch).await.expect("batch") {
            answer.expect("check-in");
        }
        fx.store.scrub().await.expect("scrub");
        let left = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        assert_eq!(
            left, 0,
            "round {round}: {left} bytes of log left after the scrub"
        );
    }
    stop.send(true).expect("stop");
    let busy = other.await.expect("checkpoints");
    eprintln!("[retention] the other connection's checkpoints were answered busy {busy} times");
}
