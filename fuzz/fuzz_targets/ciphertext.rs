//! The sealed-field decoder ([`TenantKeys::open`], [`TenantKeys::version_of`]) under fixed keys.
//!
//! The first byte picks the case. Even: the rest is taken as a stored value, which must never
//! open (no one forges a Poly1305 tag), and whose header `version_of` must read as the format
//! says. Odd: the rest, as text, is sealed and must open to itself, only under its own field and
//! row; then the sealed value changed in one byte, cut short or extended must never open.

#![no_main]

use std::{collections::HashMap, sync::LazyLock};

use libfuzzer_sys::fuzz_target;
use server::{
    crypto::{Field, Key, TenantKeys},
    ids::TenantId,
};
use uuid::Uuid;

const FIELD: Field = Field::new("visitors", "name_enc");
const OTHER_FIELD: Field = Field::new("visitors", "company_enc");
const ROW: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);
/// 1 (format) + 4 (key version) + 24 (nonce).
const HEADER_LEN: usize = 29;

/// A tenant holding data keys 1 and 2 (writing under 2), so that a value whose version is
/// changed to the other one meets a real key.
static KEYS: LazyLock<TenantKeys> = LazyLock::new(|| {
    let key = |b: u8| Key::from_slice(&[b; 32]).expect("32 bytes");
    let tenant = TenantId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_00aa));
    TenantKeys::new(
        tenant,
        (2, 1),
        HashMap::from([(1, key(1)), (2, key(2))]),
        key(3),
    )
});

fn check_header(bytes: &[u8]) {
    match TenantKeys::version_of(bytes) {
        Some(v) => {
            assert!(
                bytes.len() > HEADER_LEN && bytes[0] == 1,
                "a version read from a value that is not sealed"
            );
            assert_eq!(
                v.to_be_bytes(),
                bytes[1..5],
                "the version is not the header's"
            );
        }
        None => assert!(
            bytes.len() <= HEADER_LEN || bytes[0] != 1,
            "a sealed header without a version"
        ),
    }
}

fn never_opens(bytes: &[u8], what: &str) {
    check_header(bytes);
    assert!(KEYS.open(FIELD, ROW, bytes).is_err(), "{what} opened");
}

fuzz_target!(|data: &[u8]| {
    let Some((&case, rest)) = data.split_first() else {
        return;
    };
    if case % 2 == 0 {
        never_opens(rest, "arbitrary bytes");
        return;
    }
    // The rest: two bytes of position, one of difference, then the text.
    let (pos, diff, text) = match rest {
        [a, b, d, text @ ..] => (
            usize::from(u16::from_be_bytes([*a, *b])),
            (*d).max(1),
            String::from_utf8_lossy(text),
        ),
        _ => return,
    };
    let sealed = KEYS.seal(FIELD, ROW, &text);
    check_header(&sealed);
    assert_eq!(TenantKeys::version_of(&sealed), Some(2));
    assert_eq!(
        KEYS.open(FIELD, ROW, &sealed)
            .expect("a sealed value opens"),
        text
    );
    assert!(
        KEYS.open(OTHER_FIELD, ROW, &sealed).is_err(),
        "opened under another column"
    );
    assert!(
        KEYS.open(FIELD, Uuid::nil(), &sealed).is_err(),
        "opened under another row"
    );

    let at = pos % sealed.len();
    let mut changed = sealed.clone();
    changed[at] ^= diff;
    never_opens(&changed, "a value changed in one byte");
    never_opens(&sealed[..at], "a value cut short");
    let mut longer = sealed.clone();
    longer.insert(at, diff);
    never_opens(&longer, "a value with a byte inserted");
});
