//! The bottom layer's identifiers: which tenant a piece of work belongs to, new row ids, and the
//! random codes people read and type (badges, invitations, passes, enrollment).
//! Every other module may use these; this module uses none of the crate's.

use uuid::Uuid;

/// Which tenant (company) a transaction, a credential or a sealed field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TenantId(pub Uuid);

/// A new row id: UUIDv7, made by the app so it exists before the insert (the row id is part of
/// the encryption's associated data).
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// `len` random characters of the code alphabet (unambiguous when read aloud or typed), about
/// 4.9 bits each.
pub fn random_code(len: usize) -> String {
    use rand::RngExt;
    use vestibule_shared::types::CODE_ALPHABET;
    let mut rng = rand::rng();
    (0..len)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}
