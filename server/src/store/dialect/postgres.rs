//! PostgreSQL's side of the [`Dialect`]: reads run as one read-only snapshot, row-level security
//! is pointed at the tenant by a transaction-local setting, rows are locked where SQLite's single
//! writer would serialise (`FOR UPDATE`, `FOR SHARE`, and `SKIP LOCKED` so replicas claim
//! different outbox rows), and the check-in write is one statement of data-modifying CTEs that
//! leaves its audit entry for the sealer (`seal.rs`). What
//! the app role may not read or lock itself (a tenant or an enrollment code before the tenant is
//! known, the master-key record's lock) goes through the `SECURITY DEFINER` functions of
//! migration 0008.

use super::Dialect;
use crate::store::check_in::{check_in_facts, check_in_rows};

/// The PostgreSQL dialect.
pub(crate) struct Postgres;

impl Dialect for Postgres {
    fn begin_write(&self) -> Option<&'static str> {
        None
    }

    fn begin_read(&self) -> Option<&'static str> {
        Some("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    }

    fn set_tenant(&self) -> Option<&'static str> {
        Some("SELECT set_config('app.tenant_id', $1, true)")
    }

    // The id is a UUID's text (hex digits and dashes), written into the query: a simple query
    // takes no parameters.
    fn begin_in_tenant(&self, write: bool, tenant: uuid::Uuid) -> Option<String> {
        let begin = if write {
            self.begin_write()
        } else {
            self.begin_read()
        };
        Some(format!(
            "{}; SELECT set_config('app.tenant_id', '{tenant}', true)",
            begin.unwrap_or("BEGIN")
        ))
    }

    fn tenant_setting(&self) -> Option<&'static str> {
        Some("SELECT current_setting('app.tenant_id', true)")
    }

    fn outbox_scope(&self) -> Option<&'static str> {
        Some("SELECT set_config('app.outbox_claim', $1, true)")
    }

    // Replicas skip each other's locked rows instead of waiting for them.
    fn claim_outbox(&self) -> &'static str {
        "UPDATE outbox SET lease_owner = $1, lease_until = $2 WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM outbox \
         WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3) \
         ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING tenant_id, id"
    }

    fn claim_webhook_deliveries(&self) -> &'static str {
        "UPDATE webhook_deliveries SET lease_owner = $1, lease_until = $2 WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM webhook_deliveries \
         WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3) \
         ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING tenant_id, id"
    }

    fn webhook_tenants_due(&self) -> &'static str {
        "SELECT tenant_id FROM webhook_tenants_due()"
    }

    fn webhook_tenants(&self) -> &'static str {
        "SELECT tenant_id FROM webhook_tenants()"
    }

    fn tenants_mid_rotation(&self) -> &'static str {
        "SELECT tenants_mid_rotation()"
    }

    fn audit_head_for_write(&self) -> &'static str {
        "SELECT audit_seq, audit_head FROM tenants WHERE id = $1 FOR UPDATE"
    }

    fn key_versions_for_write(&self) -> &'static str {
        "SELECT key_version, min_decryption_version FROM tenants WHERE id = $1 FOR UPDATE"
    }

    // A key share conflicts with rotation's `FOR UPDATE` only: check-ins of one tenant do not
    // queue behind each other, nor behind the sealer's `FOR NO KEY UPDATE` of the chain head.
    fn key_versions_beside(&self) -> &'static str {
        "SELECT key_version, min_decryption_version FROM tenants WHERE id = $1 FOR KEY SHARE"
    }

    // The app role may only read kek_check, and a row lock needs UPDATE rights: the function (run
    // as the owner, migration 0008) takes the share lock for the calling transaction.
    fn kek_id_for_wrap(&self) -> &'static str {
        "SELECT kek_id_for_wrap()"
    }

    fn kek_id_for_rotation(&self) -> &'static str {
        "SELECT kek_id FROM kek_check WHERE id = 1 FOR UPDATE"
    }

    // Outside a transaction there is no tenant setting: the function (migration 0011) answers for
    // the tenant it is given.
    fn kiosk_by_token(&self) -> &'static str {
        "SELECT id, site_id, name, token_hash, created_at, enrolled_at, revoked_at, last_seen_at FROM kiosk_by_token($1, $2)"
    }

    // The app role sees no tenant row and no enrollment code outside its tenant; these functions
    // (migration 0008) answer one key at a time with the routing columns only.
    fn tenant_route_by_slug(&self) -> &'static str {
        "SELECT id, plan FROM tenant_route_by_slug($1)"
    }

    fn tenant_route_by_id(&self) -> &'static str {
        "SELECT id, plan FROM tenant_route_by_id($1)"
    }

    fn auto_checkout_sites(&self) -> &'static str {
        "SELECT tenant_id, site_id, auto_checkout_at, timezone FROM auto_checkout_sites()"
    }

    fn retention_due(&self) -> &'static str {
        "SELECT tenant_id, retention_days FROM retention_due($1)"
    }

    fn take_enrollment(&self) -> &'static str {
        "SELECT tenant_id, kiosk_id, expires_at FROM take_enrollment_code($1)"
    }

    fn visits_per_hour(&self) -> &'static str {
        // Binned by `date_bin` (integer arithmetic) on hours of the viewer's clock, and only
        // each bin turned into its hour number: `extract(epoch …)` is `numeric`, and computing
        // it per visit was half the time of counting a month of 100,000 visits.
        "SELECT (extract(epoch FROM h.bin)::bigint + $4) / 3600, h.n FROM (\
         SELECT date_bin('1 hour', v.checked_in_at, to_timestamp(-$4)) AS bin, COUNT(*) AS n FROM visits v \
         WHERE v.tenant_id = $1 AND v.checked_in_at >= $5 \
         AND ($2 IS NULL OR v.site_id = $2) \
         AND ($3 IS NULL OR v.host_id IN (SELECT id FROM hosts WHERE tenant_id = $1 AND email_idx = $3)) \
         GROUP BY bin) h"
    }

    fn check_in_facts(&self) -> &'static str {
        concat!(check_in_facts!(), " FOR KEY SHARE OF t")
    }

    fn check_in_write(&self) -> &'static str {
        concat!(
            "WITH visitor AS (",
            check_in_rows!(visitor),
            "), visit AS (",
            check_in_rows!(visit),
            "), outbox AS (",
            check_in_rows!(outbox),
            ") ",
            check_in_rows!(pending)
        )
    }

    // A chain head held from the check-in's start to its commit would make a tenant's check-ins
    // one at a time (each waiting for the one before to reach the disk).
    fn seals_audit_later(&self) -> bool {
        true
    }
}
