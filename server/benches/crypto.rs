//! The cost of encryption per check-in: what one check-in seals (visitor name, email, company and
//! phone, the purpose, the host's notification) plus the email's blind index, and what reading the
//! visit back opens. `cargo bench -p vestibule-server --bench crypto`.

use std::{collections::HashMap, hint::black_box};

use criterion::{Criterion, criterion_group, criterion_main};
use server::{
    crypto::{Field, Key, TenantKeys},
    ids::TenantId,
    store::sealed,
};
use uuid::Uuid;
use vestibule_shared::types::Email;

const VISITOR: [(Field, &str); 4] = [
    (sealed::VISITOR_NAME, "Zoë Quintessa-Marlowe"),
    (sealed::VISITOR_EMAIL, "zoe.quintessa@example.org"),
    (sealed::VISITOR_COMPANY, "Quintessential Widgets GmbH"),
    (sealed::VISITOR_PHONE, "+49 30 9876 5432"),
];
const PURPOSE: &str = "Quarterly supplier review";
const PAYLOAD: &str = r#"{"event":"check_in","visit_id":"0193a4c2-7a51-7c3e-9a2b-5f0e1d2c3b4a","host_id":"0193a4c2-7a51-7c3e-9a2b-5f0e1d2c3b4b"}"#;

fn keys() -> TenantKeys {
    TenantKeys::new(
        TenantId(Uuid::now_v7()),
        (1, 1),
        HashMap::from([(1, Key::generate())]),
        Key::generate(),
    )
}

fn check_in(c: &mut Criterion) {
    let keys = keys();
    let email = Email::parse(VISITOR[1].1).expect("email");
    let (visitor, visit, outbox) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let seal_all = || {
        let mut sealed: Vec<Vec<u8>> = VISITOR
            .iter()
            .map(|(f, v)| keys.seal(*f, visitor, v))
            .collect();
        sealed.push(keys.seal(sealed::VISIT_PURPOSE, visit, PURPOSE));
        sealed.push(keys.seal(sealed::OUTBOX_PAYLOAD, outbox, PAYLOAD));
        (sealed, keys.email_index(&email))
    };
    let (stored, _) = seal_all();
    let open_all = |stored: &[Vec<u8>]| {
        let mut n = 0;
        for ((f, _), s) in VISITOR.iter().zip(stored) {
            n += keys.open(*f, visitor, s).expect("opens").len();
        }
        n + keys
            .open(sealed::VISIT_PURPOSE, visit, &stored[4])
            .expect("opens")
            .len()
    };
    let mut g = c.benchmark_group("per check-in");
    g.bench_function("seal 6 fields + blind index", |b| {
        b.iter(|| black_box(seal_all()))
    });
    g.bench_function("open 5 fields (reading the visit)", |b| {
        b.iter(|| black_box(open_all(black_box(&stored))))
    });
    g.bench_function("seal + open + blind index", |b| {
        b.iter(|| {
            let (sealed, idx) = seal_all();
            black_box((open_all(&sealed), idx))
        })
    });
    g.finish();
    let mut g = c.benchmark_group("one field");
    g.bench_function("seal", |b| {
        b.iter(|| black_box(keys.seal(sealed::VISITOR_NAME, visitor, black_box(VISITOR[0].1))))
    });
    g.bench_function("open", |b| {
        b.iter(|| black_box(keys.open(sealed::VISITOR_NAME, visitor, black_box(&stored[0]))))
    });
    g.bench_function("blind index", |b| {
        b.iter(|| black_box(keys.email_index(black_box(&email))))
    });
    g.finish();
}

criterion_group!(benches, check_in);
criterion_main!(benches);
