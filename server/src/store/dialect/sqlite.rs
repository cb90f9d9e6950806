//! SQLite's side of the [`Dialect`]: one writer at a time (`BEGIN IMMEDIATE` takes the database's
//! write lock up front, so no statement needs a row lock), no row-level security (every query binds
//! the tenant), a multi-statement check-in write (its `$N` parameters are shared by the
//! statements) and a WAL checkpoint after keys are destroyed.

use super::Dialect;
use crate::store::check_in::check_in_rows;

/// The SQLite dialect.
pub(crate) struct Sqlite;

impl Dialect for Sqlite {
    fn begin_write(&self) -> Option<&'static str> {
        Some("BEGIN IMMEDIATE")
    }

    fn begin_read(&self) -> Option<&'static str> {
        None
    }

    fn set_tenant(&self) -> Option<&'static str> {
        None
    }

    fn begin_in_tenant(&self, _: bool, _: uuid::Uuid) -> Option<String> {
        None
    }

    fn tenant_setting(&self) -> Option<&'static str> {
        None
    }

    fn outbox_scope(&self) -> Option<&'static str> {
        None
    }

    // One writer at a time: the subquery and the update cannot interleave with another claim.
    fn claim_outbox(&self) -> &'static str {
        "UPDATE outbox SET lease_owner = $1, lease_until = $2 WHERE rowid IN (SELECT rowid FROM outbox \
         WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3) \
         ORDER BY next_attempt_at LIMIT $4) RETURNING tenant_id, id"
    }

    fn claim_webhook_deliveries(&self) -> &'static str {
        "UPDATE webhook_deliveries SET lease_owner = $1, lease_until = $2 WHERE rowid IN (SELECT rowid FROM webhook_deliveries \
         WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3) \
         ORDER BY next_attempt_at LIMIT $4) RETURNING tenant_id, id"
    }

    fn webhook_tenants_due(&self) -> &'static str {
        "SELECT DISTINCT w.tenant_id FROM webhooks w JOIN tenants t ON t.id = w.tenant_id \
         LEFT JOIN webhook_cursors c ON c.tenant_id = w.tenant_id WHERE c.seq IS NULL OR t.audit_seq > c.seq"
    }

    fn webhook_tenants(&self) -> &'static str {
        "SELECT DISTINCT tenant_id FROM webhooks"
    }

    fn tenants_mid_rotation(&self) -> &'static str {
        "SELECT COUNT(*) FROM tenants WHERE min_decryption_version < key_version"
    }

    fn audit_head_for_write(&self) -> &'static str {
        "SELECT audit_seq, audit_head FROM tenants WHERE id = $1"
    }

    fn key_versions_for_write(&self) -> &'static str {
        "SELECT key_version, min_decryption_version FROM tenants WHERE id = $1"
    }

    fn key_versions_beside(&self) -> &'static str {
        "SELECT key_version, min_decryption_version FROM tenants WHERE id = $1"
    }

    fn kek_id_for_wrap(&self) -> &'static str {
        "SELECT kek_id FROM kek_check WHERE id = 1"
    }

    fn kek_id_for_rotation(&self) -> &'static str {
        "SELECT kek_id FROM kek_check WHERE id = 1"
    }

    fn kiosk_by_token(&self) -> &'static str {
        "SELECT rowid, id, site_id, name, token_hash, created_at, enrolled_at, revoked_at, last_seen_at \
         FROM kiosks WHERE tenant_id = $1 AND token_hash = $2 AND revoked_at IS NULL"
    }

    fn tenant_route_by_slug(&self) -> &'static str {
        "SELECT id, plan FROM tenants WHERE slug = $1"
    }

    fn tenant_route_by_id(&self) -> &'static str {
        "SELECT id, plan FROM tenants WHERE id = $1"
    }

    fn auto_checkout_sites(&self) -> &'static str {
        "SELECT tenant_id, id AS site_id, auto_checkout_at, timezone FROM sites WHERE auto_checkout_at IS NOT NULL"
    }

    fn retention_due(&self) -> &'static str {
        "SELECT t.id, t.retention_days FROM tenants t WHERE NOT EXISTS \
         (SELECT 1 FROM retention_runs r WHERE r.tenant_id = t.id AND r.day = $1)"
    }

    fn take_enrollment(&self) -> &'static str {
        "DELETE FROM enrollment_codes WHERE code_hash = $1 RETURNING tenant_id, kiosk_id, expires_at"
    }

    fn visits_per_hour(&self) -> &'static str {
        "SELECT (unixepoch(v.checked_in_at) + $4) / 3600 AS hour, COUNT(*) FROM visits v WHERE v.tenant_id = $1 AND v.checked_in_at >= $5 \
         AND ($2 IS NULL OR v.site_id = $2) \
         AND ($3 IS NULL OR v.host_id IN (SELECT id FROM hosts WHERE tenant_id = $1 AND email_idx = $3)) \
         GROUP BY hour"
    }

    fn check_in_facts(&self) -> &'static str {
        crate::store::check_in::FACTS
    }

    fn check_in_write(&self) -> &'static str {
        concat!(
            check_in_rows!(visitor),
            ";\n",
            check_in_rows!(visit),
            ";\n",
            check_in_rows!(outbox),
            ";\n",
            check_in_rows!(audit),
            ";\n",
            check_in_rows!(head)
        )
    }

    // The group committer chains a whole batch's entries in the one writer's transaction.
    fn seals_audit_later(&self) -> bool {
        false
    }
}
