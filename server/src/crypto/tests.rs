//! Sealing, blind indexes and key wrapping.

use std::collections::HashSet;

use super::*;

fn tenant() -> TenantId {
    TenantId(Uuid::now_v7())
}

const NAME: Field = Field::new("visitors", "name_enc");

#[test]
fn sealed_fields_open_only_where_they_were_sealed() {
    let t = TenantKeys::for_tests(tenant());
    let row = Uuid::now_v7();
    let sealed = t.seal(NAME, row, "Zoë");
    assert_eq!(t.open(NAME, row, &sealed).expect("opens"), "Zoë");
    assert!(
        t.open(NAME, Uuid::now_v7(), &sealed).is_err(),
        "another row"
    );
    assert!(
        t.open(Field::new("visitors", "company_enc"), row, &sealed)
            .is_err(),
        "another column"
    );
    assert!(
        t.open(Field::new("hosts", "name_enc"), row, &sealed)
            .is_err(),
        "another table"
    );
    assert!(
        TenantKeys::for_tests(tenant())
            .open(NAME, row, &sealed)
            .is_err(),
        "another tenant"
    );
    let mut flipped = sealed.clone();
    *flipped.last_mut().expect("bytes") ^= 1;
    assert!(t.open(NAME, row, &flipped).is_err(), "a flipped bit");
    assert_eq!(TenantKeys::version_of(&sealed), Some(1));
}

#[test]
fn blind_index_matches_variants_within_a_tenant_only() {
    let t = TenantKeys::for_tests(tenant());
    let idx = |s: &str| t.email_index(&Email::parse(s).expect("email"));
    let composed = "jos\u{e9}@example.com";
    let decomposed = "jose\u{301}@example.com";
    assert_eq!(idx(composed), idx(decomposed), "NFC and NFD");
    assert_eq!(
        idx(composed),
        idx("  JOS\u{c9}@Example.COM  "),
        "case and surrounding spaces"
    );
    assert_ne!(idx(composed), idx("jose@example.com"));
    assert_eq!(idx(composed).len(), 16);
    let other = TenantKeys::for_tests(tenant());
    assert_ne!(
        idx(composed),
        other.email_index(&Email::parse(composed).expect("email")),
        "another tenant"
    );
}

#[test]
fn name_index_ignores_case_accents_punctuation_and_word_order() {
    let t = TenantKeys::for_tests(tenant());
    let same = [
        "Jos\u{e9}  \u{c1}lvarez-O'Neil",
        "jose alvarez oneil",
        "\u{c1}LVAREZ-O'NEIL Jos\u{e9}",
        "Jose\u{301} Alvarez O\u{2019}Neil.",
    ];
    for name in same {
        assert_eq!(normalize_name(name), "alvarez jose oneil", "{name}");
        assert_eq!(t.name_index(name), t.name_index(same[0]), "{name}");
    }
    assert_ne!(t.name_index("Jose Alvarez"), t.name_index(same[0]));
    assert_ne!(t.name_index("Josef Alvarez O'Neil"), t.name_index(same[0]));
    let other = TenantKeys::for_tests(tenant());
    assert_ne!(
        other.name_index(same[0]),
        t.name_index(same[0]),
        "another tenant"
    );
}

#[test]
fn a_million_encryptions_never_repeat_a_nonce() {
    let t = TenantKeys::for_tests(tenant());
    let row = Uuid::now_v7();
    let mut seen = HashSet::with_capacity(1_000_000);
    for _ in 0..1_000_000 {
        let sealed = t.seal(NAME, row, "x");
        let nonce: [u8; aead::NONCE_LEN] = sealed[5..HEADER_LEN].try_into().expect("nonce");
        assert!(seen.insert(nonce), "a nonce repeated");
    }
}

#[test]
fn keys_unwrap_only_under_their_kek_and_binding() {
    let kek = Kek::new(Key::generate());
    let crypto = Crypto::new(kek.clone());
    let t = tenant();
    let key = Key::generate();
    let wrapped = Crypto::wrap(&kek, t, Purpose::Data, 1, &key);
    assert_eq!(
        crypto
            .unwrap(t, Purpose::Data, 1, &kek.id, &wrapped)
            .expect("unwraps")
            .expose(),
        key.expose()
    );
    assert!(
        crypto
            .unwrap(t, Purpose::Data, 2, &kek.id, &wrapped)
            .is_err(),
        "another version"
    );
    assert!(
        crypto
            .unwrap(t, Purpose::Index, 1, &kek.id, &wrapped)
            .is_err(),
        "another purpose"
    );
    assert!(
        crypto
            .unwrap(tenant(), Purpose::Data, 1, &kek.id, &wrapped)
            .is_err(),
        "another tenant"
    );
    let other = Kek::new(Key::generate());
    assert!(
        Crypto::new(other.clone())
            .unwrap(t, Purpose::Data, 1, &kek.id, &wrapped)
            .is_err(),
        "another KEK"
    );
    assert!(Crypto::verify_kek_check(&kek, &Crypto::kek_check(&kek)));
    assert!(!Crypto::verify_kek_check(&other, &Crypto::kek_check(&kek)));
}
