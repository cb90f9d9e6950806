//! Offline check-ins: what a kiosk seals while no server answers, and how. The kiosk seals the
//! check-in (an [`OfflineCheckIn`]) to the tenant's offline key with HPKE (RFC 9180, base mode,
//! DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305), binding its own id, the
//! idempotency key and the time into the [`associated_data`], and later delivers it as a
//! [`SealedCheckIn`]. Its provisional badge code comes from [`ProvisionalCodes`], a space the
//! server's own codes never use.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    dto::visits::CheckIn,
    types::{BadgeCode, CODE_ALPHABET},
};

/// How long a sealed check-in may wait: one sealed earlier is refused, and a retired offline key
/// is accepted this long after its successor was made.
pub const OFFLINE_WINDOW_HOURS: i64 = 72;

/// How far ahead of the server's clock a kiosk's clock may be.
pub const CLOCK_SKEW_SECS: i64 = 300;

/// HPKE's `info`: which protocol the key is used for.
pub const HPKE_INFO: &[u8] = b"vestibule offline check-in v1";

/// The first character of every provisional badge code, and of no code the server draws.
pub const PROVISIONAL_MARK: u8 = b'Z';

/// How many kiosks of a tenant can have a provisional badge prefix (two characters of the code
/// alphabet).
pub const OFFLINE_SLOTS: u32 = (CODE_ALPHABET.len() * CODE_ALPHABET.len()) as u32;

/// `GET /api/v1/kiosk/offline-key`: the tenant's current offline public key and this kiosk's
/// share of the provisional badge codes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfflineKey {
    /// The key's id, named by a sealed check-in.
    pub kid: Uuid,
    /// The X25519 public key, 32 bytes, base64url without padding.
    pub public_key: String,
    /// This kiosk's id, bound into every check-in it seals.
    pub kiosk_id: Uuid,
    /// The first three characters of this kiosk's provisional badge codes.
    pub badge_prefix: String,
    /// How many hours a sealed check-in may wait ([`OFFLINE_WINDOW_HOURS`]).
    pub window_hours: i64,
}

/// `POST /api/v1/kiosk/visits/sealed` (with the check-in's original `Idempotency-Key`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SealedCheckIn {
    pub kid: Uuid,
    /// HPKE's encapsulated key, base64url without padding.
    #[schema(max_length = 64)]
    pub enc: String,
    /// The sealed [`OfflineCheckIn`], base64url without padding.
    #[schema(max_length = 3_000_000)]
    pub ciphertext: String,
    /// When the visitor checked in (the kiosk's clock, to the millisecond).
    pub sealed_at: DateTime<Utc>,
}

/// What a kiosk seals: the check-in as it would have sent it, and the provisional badge code
/// it showed the visitor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfflineCheckIn {
    pub badge_code: BadgeCode,
    pub check_in: CheckIn,
}

/// HPKE's associated data of a sealed check-in: the kiosk, the idempotency key and the time
/// (milliseconds since the epoch), so that none can be changed or moved to another kiosk.
pub fn associated_data(kiosk_id: Uuid, idempotency_key: &str, sealed_at: DateTime<Utc>) -> Vec<u8> {
    format!(
        "vestibule-offline-v1\n{kiosk_id}\n{idempotency_key}\n{}",
        sealed_at.timestamp_millis()
    )
    .into_bytes()
}

/// The badge prefix of the kiosk in `slot` (below [`OFFLINE_SLOTS`]): the mark and two characters.
pub fn badge_prefix(slot: u32) -> String {
    let n = CODE_ALPHABET.len() as u32;
    let digit = |i: u32| CODE_ALPHABET[(i % n) as usize] as char;
    format!(
        "{}{}{}",
        PROVISIONAL_MARK as char,
        digit(slot / n),
        digit(slot)
    )
}

/// A kiosk's provisional badge codes: its prefix, then a five-character sequence that counts up
/// from where the kiosk started it. Starting from the clock (seconds, modulo the 31^5 codes, about
/// 331 days) means a restarted kiosk does not repeat the codes of its last run unless it drew
/// more than one a second since it started.
#[derive(Debug, Clone)]
pub struct ProvisionalCodes {
    prefix: String,
    next: u64,
}

impl ProvisionalCodes {
    const SPACE: u64 = 31u64.pow(5);

    pub fn new(prefix: &str, start: u64) -> ProvisionalCodes {
        ProvisionalCodes {
            prefix: prefix.to_owned(),
            next: start % Self::SPACE,
        }
    }

    /// The next code.
    pub fn draw(&mut self) -> String {
        let n = CODE_ALPHABET.len() as u64;
        let mut rest = self.next;
        let mut seq = [0u8; 5];
        for c in seq.iter_mut().rev() {
            *c = CODE_ALPHABET[(rest % n) as usize];
            rest /= n;
        }
        self.next = (self.next + 1) % Self::SPACE;
        let mut code = self.prefix.clone();
        code.extend(seq.iter().map(|&b| b as char));
        code
    }
}
