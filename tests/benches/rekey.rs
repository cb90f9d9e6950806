//! How long `keys rotate-dek` takes per 100,000 visits: fills a tenant with N check-ins (default
//! 100,000; `VESTIBULE_BENCH_VISITS` to change) through the store, then times the rotation as the
//! CLI runs it (new key version, re-seal in batches of 500, finish), on SQLite and, when it is
//! reachable, PostgreSQL. `cargo bench -p vestibule-tests --bench rekey` (here, beside the harness's PostgreSQL databases).

use std::time::Instant;

use server::{
    crypto::KeySource,
    ids::TenantId,
    store::{Actor, Flow, NewHost, NewVisit, RekeyCursor, Store},
};
use uuid::Uuid;
use vestibule_shared::{
    dto::{accounts::Plan, visits::VisitorDetails},
    types::{CompanyName, Email, PersonName, Phone},
};

async fn fill(store: &Store, visits: usize) -> TenantId {
    let (_, mut tx) = store
        .create_tenant("bench", "Bench", Plan::Business)
        .await
        .expect("tenant");
    let tenant = tx.tenant;
    let site = tx
        .insert_site("HQ", "Europe/Paris", None)
        .await
        .expect("site");
    let host = NewHost {
        name: "Harriet Host".into(),
        email: Email::parse("harriet@bench.test").expect("email"),
        site_id: site.id,
    };
    let host = tx.insert_host(&host).await.expect("host");
    tx.commit().await.expect("commit");
    for chunk in 0..visits.div_ceil(1000) {
        let mut tx = store.write(tenant).await.expect("tx");
        for i in chunk * 1000..((chunk + 1) * 1000).min(visits) {
            let visitor = VisitorDetails {
                name: PersonName::parse(&format!("Visitor Number {i}")).expect("name"),
                email: Email::parse(&format!("visitor{i}@example.org")).expect("email"),
                company: Some(CompanyName::parse("Globex Corporation").expect("company")),
                phone: Some(Phone::parse("+33 1 23 45 67 89").expect("phone")),
            };
            let new = NewVisit {
                site_id: site.id,
                host_id: host.id,
                visitor,
                purpose: Some("Quarterly review".into()),
                actor: Actor::Kiosk(Uuid::nil()),
                kiosk_id: None,
                idempotency: None,
                flow: Flow::Untyped,
                offline: None,
            };
            tx.check_in(&new).await.expect("check in");
        }
        tx.commit().await.expect("commit");
    }
    tenant
}

async fn rotate(store: &Store, tenant: TenantId) -> (u64, f64) {
    let started = Instant::now();
    store.start_dek_rotation(tenant).await.expect("start");
    let (mut cursor, mut resealed) = (RekeyCursor::default(), 0);
    while !cursor.done() {
        resealed += store
            .reencrypt_batch(tenant, &mut cursor, 500)
            .await
            .expect("batch")
            .resealed;
    }
    assert_eq!(store.finish_dek_rotation(tenant).await.expect("finish"), 0);
    (resealed, started.elapsed().as_secs_f64())
}

async fn run(engine: &str, store: Store, visits: usize) {
    let filled = Instant::now();
    let tenant = fill(&store, visits).await;
    let fill_s = filled.elapsed().as_secs_f64();
    let (rows, secs) = rotate(&store, tenant).await;
    println!(
        "{engine:<10} {visits:>8} visits (filled in {fill_s:.1} s)  rotate-dek re-sealed {rows} rows in {secs:.2} s  =  {:.2} s per 100,000 visits",
        secs * 100_000.0 / visits as f64
    );
    store.close().await;
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let visits: usize = std::env::var("VESTIBULE_BENCH_VISITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let keys = KeySource::File(dir.path().join("master.key"));
        let sqlite = Store::open_sqlite(&dir.path().join("vestibule.db"), &keys)
            .await
            .expect("SQLite");
        run("sqlite", sqlite, visits).await;
        match tokio::time::timeout(
            std::time::Duration::from_secs(2),
            tokio::net::TcpStream::connect("127.0.0.1:5432"),
        )
        .await
        {
            Ok(Ok(_)) => {
                let db = vestibule_tests::TestDb::create().await;
                let pg = Store::open_postgres(&db.url, 8, &keys)
                    .await
                    .expect("PostgreSQL");
                run("postgres", pg, visits).await;
            }
            _ => println!("postgres   skipped: nothing listens on 127.0.0.1:5432"),
        }
    });
}
