//! The bottom layer's identifiers: which tenant a piece of work belongs to, and new row ids.
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
