//! One batch of check-ins, each with its own right answer: a replay of a visit committed before,
//! another request under that committed key, a host of another site, an unknown host, a key
//! repeated inside the batch (same request: a replay; another request: refused), the same key in
//! another tenant, and good check-ins of two tenants. On SQLite the batch runs exactly as the
//! group committer runs it (one statement reads every check-in's facts, one writes every row);
//! on PostgreSQL the same check-ins run side by side, so which of two racing requests under one
//! key comes first is not fixed, and the loser of a race to the unique index runs again.

use crate::storage_support::{Fixture, site_with_host, tenant};
use server::{
    error::Error,
    ids::TenantId,
    store::{Actor, CheckedInRow, Flow, NewVisit},
};
use uuid::Uuid;
use vestibule_shared::dto::visits::CheckIn;
use vestibule_tests::Engine;

/// Where check-ins happen: a site, its host and its kiosk.
#[derive(Clone, Copy)]
struct Desk {
    site: Uuid,
    host: Uuid,
    kiosk: Uuid,
}

/// A site with one host and one kiosk.
async fn desk(fx: &Fixture, t: TenantId, name: &str) -> Desk {
    let mut tx = fx.store.write(t).await.expect("tx");
    let (site, host) = site_with_host(&mut tx, name).await;
    let code = format!("code-{}-{name}", t.0);
    let expires = fx.store.clock().now() + chrono::Duration::hours(1);
    let kiosk = tx
        .insert_kiosk(site, "Lobby", code.as_bytes(), expires)
        .await
        .expect("kiosk");
    tx.commit().await.expect("commit");
    Desk {
        site,
        host,
        kiosk: kiosk.id,
    }
}

/// A check-in at `d`'s kiosk for `host` under `key`; `request` stands for the request's hash.
fn visit(d: Desk, host: Uuid, key: &str, request: &str) -> NewVisit {
    let body: CheckIn = serde_json::from_value(serde_json::json!({
        "visitor": {"name": "Vera Visitor", "email": "vera@example.com"},
        "host_id": host,
    }))
    .expect("valid check-in");
    NewVisit {
        site_id: d.site,
        host_id: host,
        visitor: body.visitor,
        purpose: None,
        actor: Actor::Kiosk(d.kiosk),
        kiosk_id: Some(d.kiosk),
        idempotency: Some((key.to_owned(), request.as_bytes().to_vec())),
        flow: Flow::Untyped,
        offline: None,
    }
}

/// The audit entries of `t` (after sealing), and whether the chain verifies.
async fn audit(fx: &Fixture, t: TenantId) -> (i64, bool) {
    fx.store.seal_audit(t).await.expect("seal");
    let mut tx = fx.store.read(t).await.expect("tx");
    let check = tx.verify_audit().await.expect("verify");
    (check.entries, check.broken_at.is_none())
}

type Answer = Result<(CheckedInRow, bool), Error>;

/// Of two check-ins under one key and one request, one is new and the other replays it.
fn one_new_one_replay(a: &Answer, b: &Answer) -> Uuid {
    let (Ok((a, a_replayed)), Ok((b, b_replayed))) = (a, b) else {
        panic!("both answered: {a:?} {b:?}");
    };
    assert_eq!(a.id, b.id, "the replay is the same visit");
    assert_eq!(a.badge_code, b.badge_code);
    assert!(a_replayed ^ b_replayed, "exactly one of them is new");
    a.id
}

async fn one_batch_answers_each_check_in(engine: Engine) {
    let fx = Fixture::on(engine).await;
    let a = tenant(&fx, "acme").await;
    let b = tenant(&fx, "globex").await;
    let d = desk(&fx, a, "HQ").await;
    let annex = desk(&fx, a, "Annex").await;
    let db = desk(&fx, b, "HQ").await;
    let early = fx
        .store
        .check_in(a, visit(d, d.host, "early", "request-0"))
        .await
        .expect("a check-in before the batch");
    let before = (audit(&fx, a).await.0, audit(&fx, b).await.0);

    let batch = vec![
        (a, visit(d, d.host, "k1", "request-1")),         // 0: new
        (a, visit(d, d.host, "early", "request-0")),      // 1: replays the earlier visit
        (a, visit(d, d.host, "early", "other")),          // 2: refused: another request
        (a, visit(d, d.host, "k2", "request-2")),         // 3: new (or refused, if 7 came first)
        (a, visit(d, annex.host, "k3", "request-3")),     // 4: a host of another site
        (b, visit(db, db.host, "k1", "request-1")),       // 5: new: the same key in another tenant
        (a, visit(d, d.host, "k1", "request-1")),         // 6: replays 0 (or 0 replays it)
        (a, visit(d, d.host, "k2", "other")),             // 7: refused (or new, if it came first)
        (a, visit(d, Uuid::now_v7(), "k4", "request-4")), // 8: an unknown host
        (a, visit(d, d.host, "k5", "request-5")),         // 9: new
    ];
    let answers = fx.store.check_in_together(batch).await.expect("the batch");

    let (replay, replayed) = answers[1].as_ref().expect("the replay");
    assert_eq!((replay.id, *replayed), (early.0.id, true));
    assert!(matches!(answers[2], Err(Error::IdempotencyMismatch)));
    assert!(
        matches!(answers[4], Err(Error::NotFound)),
        "{:?}",
        answers[4]
    );
    assert!(
        matches!(answers[8], Err(Error::NotFound)),
        "{:?}",
        answers[8]
    );
    let (other_tenant, replayed) = answers[5].as_ref().expect("the other tenant's");
    assert!(!replayed);
    let (good, replayed) = answers[9].as_ref().expect("a good check-in");
    assert!(!replayed);
    let k1 = one_new_one_replay(&answers[0], &answers[6]);
    let (k2_new, k2_refused) = match (&answers[3], &answers[7]) {
        (Ok((v, false)), Err(Error::IdempotencyMismatch)) => (v, 7),
        (Err(Error::IdempotencyMismatch), Ok((v, false))) => (v, 3),
        other => panic!("one new, one refused: {other:?}"),
    };
    if engine == Engine::Sqlite {
        // The batch runs in order.
        assert!(matches!(answers[0], Ok((_, false))));
        assert_eq!(k2_refused, 7);
    }
    let new = [k1, k2_new.id, good.id];
    let mut badges: Vec<&str> = [
        &answers[0],
        &answers[6],
        &answers[3],
        &answers[7],
        &answers[9],
    ]
    .into_iter()
    .filter_map(|a| a.as_ref().ok())
    .filter(|(_, replayed)| !replayed)
    .map(|(v, _)| v.badge_code.as_str())
    .collect();
    badges.sort_unstable();
    badges.dedup();
    assert_eq!(badges.len(), new.len(), "every new visit has its own badge");

    // Exactly the new visits were written, each with its audit entry, and both chains verify.
    let mut tx = fx.store.read(a).await.expect("tx");
    for id in [early.0.id, k1, k2_new.id, good.id] {
        assert!(tx.visit(id).await.expect("read").is_some(), "visit {id}");
    }
    drop(tx);
    let mut tx = fx.store.read(b).await.expect("tx");
    assert!(tx.visit(other_tenant.id).await.expect("read").is_some());
    drop(tx);
    assert_eq!(audit(&fx, a).await, (before.0 + 3, true));
    assert_eq!(audit(&fx, b).await, (before.1 + 1, true));
}

/// A batch longer than one of SQLite's compound statements takes, of two tenants interleaved:
/// every check-in is written, and each tenant's chain goes on from its newest entry.
async fn a_long_batch_of_two_tenants(engine: Engine) {
    let fx = Fixture::on(engine).await;
    let a = tenant(&fx, "acme").await;
    let b = tenant(&fx, "globex").await;
    let (da, db) = (desk(&fx, a, "HQ").await, desk(&fx, b, "HQ").await);
    let before = (audit(&fx, a).await.0, audit(&fx, b).await.0);
    let batch = (0..450)
        .map(|i| {
            let (t, d) = if i % 3 == 0 { (b, db) } else { (a, da) };
            (t, visit(d, d.host, &format!("k{i}"), "request"))
        })
        .collect();
    let answers = fx.store.check_in_together(batch).await.expect("the batch");
    for answer in &answers {
        assert!(matches!(answer, Ok((_, false))), "{answer:?}");
    }
    for (t, d) in [(a, da), (b, db)] {
        fx.store
            .check_in(t, visit(d, d.host, "after", "request"))
            .await
            .expect("a check-in after the batch");
    }
    assert_eq!(audit(&fx, a).await, (before.0 + 301, true));
    assert_eq!(audit(&fx, b).await, (before.1 + 151, true));
}

both_engines!(one_batch_answers_each_check_in, a_long_batch_of_two_tenants);

/// On PostgreSQL, what a process that died between a check-in's commit and its sealing left in
/// `audit_pending` is chained by the sweep, tenant by tenant, and the chains still verify.
#[tokio::test]
async fn the_sweep_seals_what_a_dead_process_left() {
    let fx = Fixture::postgres().await;
    let a = tenant(&fx, "acme").await;
    let b = tenant(&fx, "globex").await;
    let before = (audit(&fx, a).await.0, audit(&fx, b).await.0);
    let left = "INSERT INTO audit_pending (tenant_id, id, at, actor, action, target) \
                VALUES ($1, $2, now(), 'kiosk', 'visit.check_in', 'visit')";
    for t in [a, a, b] {
        fx.raw_bind2(left, t.0, Uuid::now_v7()).await;
    }
    // The sealing task's own sweep may take some of them first; between the two, all three.
    let swept = fx.store.sweep_audit().await.expect("sweep");
    assert!(swept <= 3, "{swept}");
    assert_eq!(fx.store.sweep_audit().await.expect("sweep"), 0);
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_pending")
        .fetch_one(fx.pg())
        .await
        .expect("count");
    assert_eq!(waiting, 0);
    assert_eq!(audit(&fx, a).await, (before.0 + 2, true));
    assert_eq!(audit(&fx, b).await, (before.1 + 1, true));
}
