//! The storage conformance suite: every test runs against SQLite and PostgreSQL through the same
//! `Store` seam, with a fresh database each. PostgreSQL adds checks of its row-level security.

use crate::storage_support::{Fixture, site_with_host, tenant};
use chrono::Duration;
use server::{
    crypto::Door,
    error::Error,
    ids::TenantId,
    store::{Actor, Flow, NewHost, NewVisit, SessionKind, Throttle, VisitFilterSql},
};
use uuid::Uuid;
use vestibule_shared::{
    dto::{
        accounts::Role,
        visits::{CheckIn, CorrectVisit, HostNotification, VisitStatus},
    },
    types::{BadgeCode, Email, PersonName},
};
use vestibule_tests::Engine;

fn visitor_body(host: Uuid, name: &str) -> CheckIn {
    serde_json::from_value(serde_json::json!({
        "visitor": {"name": name, "email": "visitor@example.com", "company": "Globex"},
        "host_id": host, "purpose": "Audit"
    }))
    .expect("valid check-in")
}

async fn visit(
    fx: &Fixture,
    t: TenantId,
    site: Uuid,
    host: Uuid,
    key: &str,
    name: &str,
) -> Result<(server::store::CheckedInRow, bool), Error> {
    let body = visitor_body(host, name);
    let mut tx = fx.store.write(t).await?;
    let r = tx
        .check_in(&NewVisit {
            site_id: site,
            host_id: host,
            visitor: body.visitor,
            purpose: body.purpose.map(Into::into),
            actor: Actor::Kiosk(Uuid::nil()),
            kiosk_id: None,
            idempotency: Some((key.to_owned(), key.as_bytes().to_vec())),
            flow: Flow::Untyped,
            offline: None,
        })
        .await?;
    tx.commit().await?;
    Ok(r)
}

/// A tenant with one site and one host.
async fn directory(fx: &Fixture, slug: &str) -> (TenantId, Uuid, Uuid) {
    let t = tenant(fx, slug).await;
    let mut tx = fx.store.write(t).await.expect("tx");
    let (site, host) = site_with_host(&mut tx, "HQ").await;
    tx.commit().await.expect("commit");
    (t, site, host)
}

async fn sites_and_hosts_round_trip(engine: Engine) {
    let fx = Fixture::on(engine).await;
    let (t, site, host) = directory(&fx, "acme").await;
    let mut tx = fx.store.write(t).await.expect("tx");
    let mut s = tx.site(site).await.expect("read").expect("exists");
    s.name = "Headquarters".into();
    tx.update_site(&s).await.expect("update");
    assert_eq!(tx.sites().await.expect("list")[0].name, "Headquarters");
    let h = tx.host(host).await.expect("read").expect("exists");
    assert_eq!(
        (h.name.as_str(), h.email.as_str(), h.site_id),
        ("Harriet Host", "harriet@example.com", site)
    );
    tx.commit().await.expect("commit");
    // A failed statement ends its transaction (PostgreSQL aborts it): callers start a new one.
    let mut tx = fx.store.write(t).await.expect("tx");
    assert!(
        matches!(tx.delete_site(site).await, Err(Error::Conflict(_))),
        "a site with hosts cannot go"
    );
    drop(tx);
    let mut tx = fx.store.write(t).await.expect("tx");
    assert!(tx.delete_host(host).await.expect("delete"));
    assert!(tx.delete_site(site).await.expect("delete"));
    assert!(tx.site(site).await.expect("read").is_none());
    tx.commit().await.expect("commit");
}

async fn rows_of_one_tenant_are_invisible_to_another(engine: Engine) {
    let fx = Fixture::on(engine).await;
    let (a, a_site, a_host) = directory(&fx, "alpha").await;
    let (b, _, b_host) = directory(&fx, "bravo").await;
    let (a_visit, _) = visit(&fx, a, a_site, a_host, "k", "Anna")
        .await
        .expect("visit");
    let mut tx = fx.store.write(b).await.expect("tx");
    assert!(tx.site(a_site).await.expect("read").is_none());
    assert!(tx.host(a_host).await.expect("read").is_none());
    assert!(tx.visit(a_visit.id).await.expect("read").is_none());
    assert_eq!(
        tx.hosts(None)
            .await
            .expect("list")
            .iter()
            .map(|h| h.id)
            .collect::<Vec<_>>(),
        vec![b_host]
    );
    assert_eq!(
        tx.count_visits(&VisitFilterSql {
            limit: 50,
            ..Default::default()
        })
        .await
        .expect("count"),
        (0, false)
    );
    assert!(matches!(
        tx.check_out(Actor::User(Uuid::nil()), a_visit.id, None)
            .await,
        Err(Error::NotFound)
    ));
    // A host of B cannot be attached to A's site either.
    let err = tx
        .insert_host(&NewHost {
            name: "X".into(),
            email: Email::parse("x@example.com").expect("email"),
            site_id: a_site,
        })
        .await;
    assert!(matches!(err, Err(Error::InvalidInput(_))));
    drop(tx);
    assert!(matches!(
        visit(&fx, b, a_site, a_host, "k2", "Bruno").await,
        Err(Error::NotFound)
    ));
}

async fn users_lock_out_after_five_failures(engine: Engine) {
    let fx = Fixture::on(engine).await;
    let t = tenant(&fx, "acme").await;
    let email = Email::parse("Desk@Example.com").expect("email");
    let mut tx = fx.store.write(t).await.expect("tx");
    let user = tx
        .insert_user(
            &email,
            "Rita",
            Role::Receptionist,
            "$argon2id$v=19$m=19456,t=2,p=1$x$y",
            Some("pin"),
        )
        .await
        .expect("user");
    tx.commit().await.expect("commit");
    let mut tx = fx.store.write(t).await.expect("tx");
    assert!(matches!(
        tx.insert_user(&email, "Dup", Role::Admin, "h", None).await,
        Err(Error::Conflict(_))
    ));
    drop(tx);
    let mut tx = fx.store.write(t).await.expect("tx");
    // The blind index finds the user whatever the case of the address.
    let lower = Email::parse("desk@example.com").expect("email");
    assert_eq!(
        tx.user_by_email(&lower).await.expect("read").map(|u| u.id),
        Some(user.id)
    );
    tx.commit().await.expect("commit");
    // Failures are counted by what was typed, whoever (if anyone) it names.
    let key = fx.store.throttle_key(Door::Pin, "acme", &email);
    let other = fx.store.throttle_key(Door::Login, "acme", &email);
    assert_eq!(key, fx.store.throttle_key(Door::Pin, "ACME", &lower));
    let mut g = fx.store.global(true).await.expect("tx");
    let mut last = Throttle::default();
    for n in 1..=5 {
        last = g.record_failure(&key).await.expect("record");
        assert_eq!(last.failures, n);
        assert_eq!(last.locked_until.is_some(), n == 5, "failure {n}");
    }
    let until = last.locked_until.expect("locked after 5 failures");
    assert!(until > fx.store.clock().now() + Duration::seconds(20));
    assert_eq!(g.throttle(&key).await.expect("read"), last);
    assert_eq!(g.throttle(&other).await.expect("read"), Throttle::default());
    let again = g.record_failure(&key).await.expect("record");
    assert!(
        again.locked_until.expect("still locked") > until,
        "the lock grows with each failure"
    );
    g.clear_throttle(&key).await.expect("clear");
    assert_eq!(g.throttle(&key).await.expect("read"), Throttle::default());
    g.record_failure(&other).await.expect("record");
    g.commit().await.expect("commit");
    // A count is forgotten a day after its last failure.
    fx.store
        .clock()
        .advance(Duration::days(1) + Duration::seconds(1));
    let mut g = fx.store.global(true).await.expect("tx");
    assert_eq!(g.throttle(&other).await.expect("read"), Throttle::default());
    assert_eq!(g.record_failure(&other).await.expect("record").failures, 1);
    g.commit().await.expect("commit");
}

async fn sessions_expire_and_are_bound_to_their_kind(engine: Engine) {
    let fx = Fixture::on(engine).await;
    let t = tenant(&fx, "acme").await;
    let mut tx = fx.store.write(t).await.expect("tx");
    let user = tx
        .insert_user(
            &Email::parse("a@example.com").expect("e"),
            "Ada",
            Role::Admin,
            "h",
            None,
        )
        .await
        .expect("user");
    let soon = fx.store.clock().now() + Duration::minutes(5);
    tx.insert_session(
        user.id,
        SessionKind::Session,
        None,
        b"live-hash",
        soon,
        soon,
    )
    .await
    .expect("session");
    tx.insert_session(
        user.id,
        SessionKind::Session,
        None,
        b"past-hash",
        fx.store.clock().now() - Duration::seconds(1),
        soon,
    )
    .await
    .expect("session");
    tx.insert_session(
        user.id,
        SessionKind::Session,
        None,
        b"abs-hash",
        soon,
        fx.store.clock().now() - Duration::seconds(1),
    )
    .await
    .expect("session");
    assert!(
        tx.session(SessionKind::Session, b"live-hash")
            .await
            .expect("read")
            .is_some()
    );
    assert!(
        tx.session(SessionKind::Override, b"live-hash")
            .await
            .expect("read")
            .is_none(),
        "kinds do not mix"
    );
    assert!(
        tx.session(SessionKind::Session, b"past-hash")
            .await
            .expect("read")
            .is_none(),
        "idle expiry"
    );
    assert!(
        tx.session(SessionKind::Session, b"abs-hash")
            .await
            .expect("read")
            .is_none(),
        "absolute expiry"
    );
    let mut u = user.clone();
    u.disabled = true;
    tx.update_user(&u).await.expect("disable");
    assert!(
        tx.session(SessionKind::Session, b"live-hash")
            .await
            .expect("read")
            .is_none(),
        "a disabled user has no session"
    );
    tx.commit().await.expect("commit");
}

async fn kiosks_enroll_once_and_revoke(engine: Engine) {
    let fx = Fixture::on(engine).await;
    let (t, site, _) = directory(&fx, "acme").await;
    let mut tx = fx.store.write(t).await.expect("tx");
    let kiosk = tx
        .insert_kiosk(
            site,
            "Lobby",
            b"code-hash",
            fx.store.clock().now() + Duration::hours(1),
        )
        .await
        .expect("kiosk");
    tx.commit().await.expect("commit");
    let mut g = fx.store.global(true).await.expect("tx");
    let target = g
        .take_enrollment(b"code-hash")
        .await
        .expect("take")
        .expect("found");
    assert_eq!((target.tenant_id, target.kiosk_id), (t.0, kiosk.id));
    assert!(
        g.take_enrollment(b"code-hash")
            .await
            .expect("take")
            .is_none(),
        "a code works once"
    );
    let mut tx = fx.store.switch(g, t).await.expect("switch");
    assert!(
        tx.enroll_kiosk(kiosk.id, b"device-hash")
            .await
            .expect("enroll")
    );
    assert!(
        !tx.enroll_kiosk(kiosk.id, b"other-hash")
            .await
            .expect("enroll"),
        "no second enrollment"
    );
    tx.commit().await.expect("commit");
    let live = |tenant| fx.store.kiosk_by_token(tenant, b"device-hash");
    assert_eq!(live(t).await.expect("read").map(|k| k.id), Some(kiosk.id));
    let (other, _, _) = directory(&fx, "globex").await;
    assert!(
        live(other).await.expect("read").is_none(),
        "a device token works in its own tenant only"
    );
    // SQLite answers the lookup from memory once it has read it: every change must show at once.
    let mut tx = fx.store.write(t).await.expect("tx");
    assert!(tx.revoke_kiosk(kiosk.id).await.expect("revoke"));
    drop(tx);
    assert_eq!(
        live(t).await.expect("read").map(|k| k.id),
        Some(kiosk.id),
        "a revocation rolled back changes nothing"
    );
    let mut tx = fx.store.write(t).await.expect("tx");
    assert!(tx.revoke_kiosk(kiosk.id).await.expect("revoke"));
    tx.commit().await.expect("commit");
    assert!(live(t).await.expect("read").is_none());
    let mut tx = fx.store.write(t).await.expect("tx");
    assert!(
        tx.kiosk(kiosk.id)
            .await
            .expect("read")
            .expect("kept")
            .revoked_at
            .is_some()
    );
    tx.commit().await.expect("commit");
}

async fn check_in_is_idempotent_and_atomic(engine: Engine) {
    let fx = Fixture::on(engine).await;
    let (t, site, host) = directory(&fx, "acme").await;
    // With an SMTP server the host's notice is queued with the visit (without one, nothing is:
    // `host_notice.rs` checks both through the API).
    let mut tx = fx.store.write(t).await.expect("tx");
    let smtp = server::store::SmtpConfig {
        host: "localhost".into(),
        port: 465,
        security: vestibule_shared::dto::mail::SmtpSecurity::Tls,
        username: None,
        from_address: "reception@acme.test".into(),
        from_name: None,
        ca_pem: None,
    };
    tx.put_smtp(&smtp, None).await.expect("smtp");
    tx.commit().await.expect("commit");
    let (first, replayed) = visit(&fx, t, site, host, "key-1", "Vera")
        .await
        .expect("visit");
    assert!(!replayed);
    let (again, replayed) = visit(&fx, t, site, host, "key-1", "Vera")
        .await
        .expect("replay");
    assert!(replayed);
    assert_eq!(
        (first.host_notification, again.host_notification),
        (HostNotification::Queued, HostNotification::Queued)
    );
    assert_eq!(
        (again.id, again.badge_code.as_str()),
        (first.id, first.badge_code.as_str())
    );
    // Same key, other request (the test hashes the key itself, so forge another hash).
    let body = visitor_body(host, "Vera");
    let mut tx = fx.store.write(t).await.expect("tx");
    let other = NewVisit {
        site_id: site,
        host_id: host,
        visitor: body.visitor,
        purpose: None,
        actor: Actor::Kiosk(Uuid::nil()),
        kiosk_id: None,
        idempotency: Some(("key-1".into(), b"another body".to_vec())),
        flow: Flow::Untyped,
        offline: None,
    };
    assert!(matches!(
        tx.check_in(&other).await,
        Err(Error::IdempotencyMismatch)
    ));
    drop(tx);
    let mut tx = fx.store.read(t).await.expect("tx");
    assert_eq!(
        tx.outbox_len().await.expect("outbox"),
        1,
        "one notification, written with the visit"
    );
    let v = tx.visit(first.id).await.expect("read").expect("visit");
    assert_eq!(
        (
            v.visitor_name.as_str(),
            v.visitor_company.as_deref(),
            v.purpose.as_deref()
        ),
        ("Vera", Some("Globex"), Some("Audit"))
    );
    assert_eq!(v.status, VisitStatus::OnSite);
}

async fn visit_log_filters_and_pages(engine: Engine) {
    let fx = Fixture::on(engine).await;
    let (t, site, host) = directory(&fx, "acme").await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(
            visit(
                &fx,
                t,
                site,
                host,
                &format!("k{i}"),
                &format!("Visitor {i}"),
            )
            .await
            .expect("visit")
            .0,
        );
    }
    let mut tx = fx.store.write(t).await.expect("tx");
    let badge = BadgeCode::parse(&ids[0].badge_code).expect("badge");
    assert_eq!(
        tx.check_out_badge(Actor::Kiosk(Uuid::nil()), site, &badge)
            .await
            .expect("out")
            .0,
        ids[0].id
    );
    assert!(
        matches!(
            tx.check_out_badge(Actor::Kiosk(Uuid::nil()), site, &badge)
                .await,
            Err(Error::NotFound)
        ),
        "only once"
    );
    tx.check_out(Actor::User(Uuid::nil()), ids[1].id, Some(site))
        .await
        .expect("out");
    let fix = CorrectVisit {
        name: Some(PersonName::parse("Corrected Name").expect("name")),
        ..Default::default()
    };
    assert_eq!(
        tx.correct_visit(Actor::User(Uuid::nil()), ids[2].id, None, &fix)
            .await
            .expect("fix")
            .visitor_name,
        "Corrected Name"
    );
    tx.commit().await.expect("commit");

    let mut tx = fx.store.read(t).await.expect("tx");
    let all = VisitFilterSql {
        limit: 3,
        ..Default::default()
    };
    let page = tx.visits(&all).await.expect("page");
    let total = tx.count_visits(&all).await.expect("count");
    assert_eq!((page.len(), total), (3, (7, false)));
    assert_eq!(page[0].id, ids[6].id, "newest first");
    // Keyset paging: the page after the third visit starts with the fourth newest.
    let after = tx
        .visits(&VisitFilterSql {
            after: Some((page[2].checked_in_at, page[2].id)),
            ..all.clone()
        })
        .await
        .expect("page");
    assert_eq!(
        after.iter().map(|v| v.id).collect::<Vec<_>>(),
        vec![ids[3].id, ids[2].id, ids[1].id]
    );
    let last = tx
        .visits(&VisitFilterSql {
            offset: 6,
            ..all.clone()
        })
        .await
        .expect("page");
    assert_eq!(
        last.iter().map(|v| v.id).collect::<Vec<_>>(),
        vec![ids[0].id]
    );
    let out = VisitFilterSql {
        status: Some(VisitStatus::CheckedOut),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(tx.count_visits(&out).await.expect("filter").0, 2);
    let on = VisitFilterSql {
        status: Some(VisitStatus::OnSite),
        site_id: Some(site),
        host_id: Some(host),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(tx.count_visits(&on).await.expect("filter").0, 5);
    let window = VisitFilterSql {
        from: Some(ids[3].checked_in_at),
        to: Some(ids[5].checked_in_at),
        limit: 50,
        ..Default::default()
    };
    let inside = tx.visits(&window).await.expect("filter");
    let (n, _) = tx.count_visits(&window).await.expect("count");
    assert_eq!(n, 2, "from is inclusive, to exclusive");
    assert_eq!(
        inside.iter().map(|v| v.id).collect::<Vec<_>>(),
        vec![ids[4].id, ids[3].id]
    );
    let nobody = VisitFilterSql {
        site_id: Some(Uuid::now_v7()),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(tx.count_visits(&nobody).await.expect("filter").0, 0);
}

async fn audit_chain_verifies_and_detects_tampering(engine: Engine) {
    let fx = Fixture::on(engine).await;
    let (t, site, host) = directory(&fx, "acme").await;
    visit(&fx, t, site, host, "k", "Vera").await.expect("visit");
    let mut tx = fx.store.write(t).await.expect("tx");
    for i in 0..5 {
        tx.audit(Actor::User(Uuid::nil()), "test.entry", format!("thing:{i}"))
            .await
            .expect("audit");
    }
    tx.commit().await.expect("commit");
    // On PostgreSQL the check-in's entry waits for the sealer; it is chained after the others.
    fx.store.seal_audit(t).await.expect("seal");
    let mut tx = fx.store.read(t).await.expect("tx");
    let check = tx.verify_audit().await.expect("verify");
    assert_eq!((check.entries, check.broken_at), (6, None));
    drop(tx);
    fx.raw("UPDATE audit_log SET action = 'test.forged' WHERE seq = 3")
        .await;
    let mut tx = fx.store.read(t).await.expect("tx");
    assert_eq!(tx.verify_audit().await.expect("verify").broken_at, Some(3));
    drop(tx);
    fx.raw("UPDATE audit_log SET action = 'test.entry' WHERE seq = 3")
        .await;
    fx.raw("DELETE FROM audit_log WHERE seq = 6").await;
    let mut tx = fx.store.read(t).await.expect("tx");
    assert!(
        tx.verify_audit().await.expect("verify").broken_at.is_some(),
        "a removed last entry is noticed"
    );
}

/// A sealed value is bound to its tenant, table, column and row: moved anywhere else, it does not open.
async fn moved_ciphertexts_do_not_open(engine: Engine) {
    let fx = Fixture::on(engine).await;
    let (a, a_site, a_host) = directory(&fx, "alpha").await;
    let (b, b_site, b_host) = directory(&fx, "bravo").await;
    let (v1, _) = visit(&fx, a, a_site, a_host, "k1", "First Visitor")
        .await
        .expect("visit");
    let (v2, _) = visit(&fx, a, a_site, a_host, "k2", "Second Visitor")
        .await
        .expect("visit");
    let (v3, _) = visit(&fx, a, a_site, a_host, "k3", "Third Visitor")
        .await
        .expect("visit");
    let (vb, _) = visit(&fx, b, b_site, b_host, "kb", "Bravo Visitor")
        .await
        .expect("visit");
    let unreadable =
        |r: Result<Option<server::store::VisitRow>, Error>| matches!(r, Err(Error::Internal(_)));

    // Another row of the same column.
    fx.copy_cell(
        "visitors",
        ("name_enc", v1.visitor_id),
        ("name_enc", v2.visitor_id),
    )
    .await;
    let mut tx = fx.store.read(a).await.expect("tx");
    assert!(
        unreadable(tx.visit(v2.id).await),
        "a name moved to another row opened"
    );
    assert_eq!(
        tx.visit(v1.id)
            .await
            .expect("read")
            .expect("visit")
            .visitor_name,
        "First Visitor",
        "the source is intact"
    );
    drop(tx);

    // Another column of the same row.
    fx.copy_cell(
        "visitors",
        ("company_enc", v3.visitor_id),
        ("name_enc", v3.visitor_id),
    )
    .await;
    let mut tx = fx.store.read(a).await.expect("tx");
    assert!(
        unreadable(tx.visit(v3.id).await),
        "a company moved into the name column opened"
    );
    drop(tx);

    // Another tenant (the same row id cannot exist twice, so B's row gets A's ciphertext).
    let sql = "UPDATE visitors SET name_enc = (SELECT name_enc FROM visitors WHERE id = $1) WHERE id = $2";
    fx.raw_bind2(sql, v1.visitor_id, vb.visitor_id).await;
    let mut tx = fx.store.read(b).await.expect("tx");
    assert!(
        unreadable(tx.visit(vb.id).await),
        "a name moved to another tenant opened"
    );
}

/// A transaction whose beginning is cancelled (its request went away) leaves nothing on its
/// connection: the next transactions on it begin as their own. sqlx counts a PostgreSQL
/// transaction only once its `BEGIN` has answered, so a begin dropped in between used to leave
/// its connection inside that transaction, and the next read-only begin on it failed.
async fn cancelled_begins_leave_nothing_behind(engine: Engine) {
    let fx = Fixture::on(engine).await;
    let (t, _, _) = directory(&fx, "acme").await;
    for _ in 0..100 {
        for write in [false, true] {
            // Polled once (the connection taken, the begin sent), then dropped.
            let begin = async {
                if write {
                    fx.store.write(t).await.map(drop)
                } else {
                    fx.store.read(t).await.map(drop)
                }
            };
            tokio::select! {
                biased;
                _ = begin => {}
                _ = std::future::ready(()) => {}
            }
        }
        let mut tx = fx
            .store
            .read(t)
            .await
            .expect("a read after cancelled begins");
        assert_eq!(tx.sites().await.expect("sites").len(), 1);
    }
}

both_engines!(
    moved_ciphertexts_do_not_open,
    sites_and_hosts_round_trip,
    rows_of_one_tenant_are_invisible_to_another,
    users_lock_out_after_five_failures,
    sessions_expire_and_are_bound_to_their_kind,
    kiosks_enroll_once_and_revoke,
    check_in_is_idempotent_and_atomic,
    visit_log_filters_and_pages,
    audit_chain_verifies_and_detects_tampering,
    cancelled_begins_leave_nothing_behind
);
