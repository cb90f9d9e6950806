//! Provisional badge codes: two kiosks' 10,000 draws each never collide with each other or with
//! 10,000 codes the server draws.

use std::collections::HashSet;

use vestibule_shared::{
    dto::offline::{PROVISIONAL_MARK, ProvisionalCodes, badge_prefix},
    types::BadgeCode,
};

use super::badge_code;

#[test]
fn provisional_codes_never_collide_with_each_other_or_the_servers() {
    const DRAWS: usize = 10_000;
    let mut seen = HashSet::new();
    for (slot, start) in [(0, 1_733_000_000), (1, 1_733_000_000)] {
        let mut codes = ProvisionalCodes::new(&badge_prefix(slot), start);
        for _ in 0..DRAWS {
            let code = codes.draw();
            assert!(BadgeCode::parse(&code).is_ok(), "{code} is a badge code");
            assert!(seen.insert(code.clone()), "{code} drawn twice");
        }
    }
    for _ in 0..DRAWS {
        let code = badge_code();
        assert_ne!(code.as_bytes()[0], PROVISIONAL_MARK, "{code}");
        assert!(
            !seen.contains(&code),
            "{code}: a server code in a kiosk's space"
        );
    }
    assert_eq!(seen.len(), 2 * DRAWS);
}
