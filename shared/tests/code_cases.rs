//! The code normaliser and the code newtypes against the one table of cases
//! (`code_cases.json`, beside this file) that the UI's vitest test reads too.

use serde::Deserialize;
use vestibule_shared::types::{BadgeCode, CODE_ALPHABET, EnrollmentCode, normalize_code};

#[derive(Deserialize)]
struct Table {
    alphabet: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    input: String,
    normalized: String,
    badge: bool,
    enrollment: bool,
}

fn table() -> Table {
    serde_json::from_str(include_str!("code_cases.json")).expect("code_cases.json")
}

#[test]
fn the_alphabet_is_the_table_s() {
    assert_eq!(table().alphabet.as_bytes(), CODE_ALPHABET);
}

#[test]
fn every_case_normalises_and_parses_as_the_table_says() {
    let table = table();
    assert!(table.cases.len() > 20, "the table has its cases");
    for c in &table.cases {
        let input = &c.input;
        assert_eq!(
            normalize_code(input),
            c.normalized,
            "normalize_code({input:?})"
        );
        let badge = BadgeCode::parse(input);
        assert_eq!(badge.is_ok(), c.badge, "BadgeCode::parse({input:?})");
        if let Ok(b) = badge {
            assert_eq!(b.as_str(), c.normalized, "badge code of {input:?}");
        }
        let enrollment = EnrollmentCode::parse(input);
        assert_eq!(
            enrollment.is_ok(),
            c.enrollment,
            "EnrollmentCode::parse({input:?})"
        );
        if let Ok(e) = enrollment {
            assert_eq!(e.as_str(), c.normalized, "enrollment code of {input:?}");
        }
    }
}
