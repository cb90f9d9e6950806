//! Offline keys in the store: one X25519 pair per tenant data-key version, its private half
//! sealed under the tenant's data key (so key rotation re-seals it and crypto-shredding destroys
//! it), made when a kiosk first asks after a rotation; and each kiosk's slot in the tenant's
//! space of provisional badge codes.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;
use vestibule_shared::dto::offline::{OFFLINE_SLOTS, OFFLINE_WINDOW_HOURS};
use zeroize::Zeroizing;

use super::TenantTx;
use super::sealed::OFFLINE_PRIVATE;
use crate::{crypto::offline, error::Error, ids::new_id};

/// The current offline public key: its id (the `kid`) and 32 bytes.
pub struct OfflinePublic {
    pub kid: Uuid,
    pub public_key: Vec<u8>,
}

#[derive(sqlx::FromRow)]
struct RawOpening {
    private_enc: Vec<u8>,
    /// When the next key version's pair was made: this one is retired since.
    retired_at: Option<DateTime<Utc>>,
}

impl TenantTx {
    /// The offline key of the tenant's current data-key version, made now if there is none.
    pub async fn offline_key(&mut self) -> Result<OfflinePublic, Error> {
        const FIND: &str =
            "SELECT id, public_key FROM offline_keys WHERE tenant_id = $1 AND key_version = $2";
        const ADD: &str = "INSERT INTO offline_keys (tenant_id, id, key_version, public_key, private_enc, created_at) \
                           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, key_version) DO NOTHING";
        let version = i64::from(self.keys.current);
        let found: Option<(Uuid, Vec<u8>)> = self.fetch_optional(FIND, (version,)).await?;
        if let Some((kid, public_key)) = found {
            return Ok(OfflinePublic { kid, public_key });
        }
        let (public, private) = offline::generate();
        let id = new_id();
        let sealed = self.keys.seal_bytes(OFFLINE_PRIVATE, id, &private);
        let now = self.now();
        self.execute(ADD, (id, version, &public, sealed, now))
            .await?;
        let (kid, public_key): (Uuid, Vec<u8>) = self
            .fetch_optional(FIND, (version,))
            .await?
            .ok_or(Error::NotFound)?;
        Ok(OfflinePublic { kid, public_key })
    }

    /// The private key of offline key `kid`, if it is still accepted at `now`: the current one,
    /// or one retired less than the offline window ago.
    pub async fn opening_key(
        &mut self,
        kid: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
        const SQL: &str = "SELECT k.private_enc, (SELECT MIN(n.created_at) FROM offline_keys n \
                           WHERE n.tenant_id = k.tenant_id AND n.key_version > k.key_version) AS retired_at \
                           FROM offline_keys k WHERE k.tenant_id = $1 AND k.id = $2";
        let row: Option<RawOpening> = self.fetch_optional(SQL, (kid,)).await?;
        let window = Duration::hours(OFFLINE_WINDOW_HOURS);
        match row {
            Some(r) if r.retired_at.is_none_or(|at| at > now - window) => self
                .keys
                .open_bytes(OFFLINE_PRIVATE, kid, &r.private_enc)
                .map(Some),
            _ => Ok(None),
        }
    }

    /// Kiosk `kiosk`'s slot of provisional badge codes, if it has one (below `OFFLINE_SLOTS`).
    pub async fn kiosk_slot(&mut self, kiosk: Uuid) -> Result<Option<u32>, Error> {
        const FIND: &str = "SELECT offline_slot FROM kiosks WHERE tenant_id = $1 AND id = $2";
        let slot: Option<(Option<i32>,)> = self.fetch_optional(FIND, (kiosk,)).await?;
        Ok(slot
            .and_then(|(s,)| s)
            .and_then(|s| u32::try_from(s).ok())
            .filter(|s| *s < OFFLINE_SLOTS))
    }

    /// Kiosk `kiosk`'s slot, given now (the next free one) if it has none; `None` when every
    /// slot of the tenant is taken.
    pub async fn offline_slot(&mut self, kiosk: Uuid) -> Result<Option<u32>, Error> {
        const GIVE: &str = "UPDATE kiosks SET offline_slot = (SELECT COALESCE(MAX(offline_slot) + 1, 0) \
                            FROM kiosks WHERE tenant_id = $1) WHERE tenant_id = $1 AND id = $2 AND offline_slot IS NULL";
        if let Some(slot) = self.kiosk_slot(kiosk).await? {
            return Ok(Some(slot));
        }
        self.execute(GIVE, (kiosk,)).await?;
        self.kiosk_slot(kiosk).await
    }
}
