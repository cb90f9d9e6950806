//! What differs between the two engines, in one file per engine: how a transaction begins, the
//! session settings PostgreSQL's row-level security reads (SQLite has none and binds the tenant in
//! every query instead), row locks (a SQLite write transaction already holds the database's one
//! write lock, so it takes none), the outbox claim, the check-in's one-round-trip write, the
//! lookups made before a tenant is known or outside a transaction (PostgreSQL's app role reaches
//! those rows only through functions), where a check-in's audit entry is chained, and the clean-up
//! after keys are destroyed. Every other statement is one SQL text that both engines run.
//!
//! A transaction finds its engine's dialect with [`Tx::dialect`](super::Tx::dialect).

mod postgres;
mod sqlite;

pub(crate) use postgres::Postgres;
pub(crate) use sqlite::Sqlite;

/// The statements that differ between the engines. `None` where an engine needs no statement.
pub(crate) trait Dialect: Sync {
    /// How a read-write transaction begins (`None`: the driver's plain `BEGIN`).
    fn begin_write(&self) -> Option<&'static str>;

    /// How a read-only transaction begins (`None`: the driver's plain `BEGIN`).
    fn begin_read(&self) -> Option<&'static str>;

    /// Points the transaction's row-level security at the tenant `$1` (its id as text).
    fn set_tenant(&self) -> Option<&'static str>;

    /// How a transaction begins already pointed at `tenant` (one round trip: the beginning and
    /// the tenant setting as one simple query; `None`: no setting, begin as usual).
    fn begin_in_tenant(&self, write: bool, tenant: uuid::Uuid) -> Option<String>;

    /// Reads that tenant setting back (a check that it does not outlive its transaction).
    fn tenant_setting(&self) -> Option<&'static str>;

    /// Opens (`$1 = 'on'`) or closes (`$1 = ''`) the view of every tenant's outbox rows that only
    /// the mail sender's claims, lease releases and the backlog metric use.
    fn outbox_scope(&self) -> Option<&'static str>;

    /// Leases up to `$4` due outbox rows of any tenant to the owner `$1` until `$2`, at the time
    /// `$3`; returns `(tenant_id, id)` of each.
    fn claim_outbox(&self) -> &'static str;

    /// The same for webhook deliveries.
    fn claim_webhook_deliveries(&self) -> &'static str;

    /// The tenants with a webhook whose audit chain moved past their webhook cursor.
    fn webhook_tenants_due(&self) -> &'static str;

    /// The tenants with at least one webhook.
    fn webhook_tenants(&self) -> &'static str;

    /// How many tenants have a data key rotation started and not finished.
    fn tenants_mid_rotation(&self) -> &'static str;

    /// The audit chain head `(audit_seq, audit_head)` of the tenant `$1`, held until the
    /// transaction ends so that writers append one after the other.
    fn audit_head_for_write(&self) -> &'static str;

    /// The data-key versions `(key_version, min_decryption_version)` of the tenant `$1`, held until
    /// the transaction ends, so a tenant's writers queue behind each other and behind rotation.
    fn key_versions_for_write(&self) -> &'static str;

    /// The same versions, held so that rotation waits for the transaction but other transactions
    /// that hold them this way do not (check-ins of one tenant run side by side).
    fn key_versions_beside(&self) -> &'static str;

    /// The id of the master key the database is written under, which no rotation may replace
    /// before the transaction ends (it is about to wrap a key under it).
    fn kek_id_for_wrap(&self) -> &'static str;

    /// The routing columns `(id, plan)` of the tenant with the slug `$1`, before it is entered
    /// (PostgreSQL: through a narrow `SECURITY DEFINER` function; the app role sees no tenant row
    /// outside its tenant).
    fn tenant_route_by_slug(&self) -> &'static str;

    /// The routing columns `(id, plan)` of the tenant with the id `$1`, before it is entered.
    fn tenant_route_by_id(&self) -> &'static str;

    /// Every site with a daily automatic sign-out, across tenants: `(tenant_id, site_id,
    /// auto_checkout_at, timezone)`.
    fn auto_checkout_sites(&self) -> &'static str;

    /// Every tenant whose retention run of the day `$1` has not happened yet, across tenants:
    /// `(tenant_id, retention_days)`.
    fn retention_due(&self) -> &'static str;

    /// Deletes the enrollment code with the hash `$1` and returns `(tenant_id, kiosk_id,
    /// expires_at)`, before its tenant is known.
    fn take_enrollment(&self) -> &'static str;

    /// The id of the master key the database is written under, held for a master-key rotation.
    fn kek_id_for_rotation(&self) -> &'static str;

    /// The live kiosk `(id, site_id, name, token_hash, created_at, enrolled_at, revoked_at,
    /// last_seen_at)` of the tenant `$1` with the device-token hash `$2`: one statement outside
    /// any transaction, as every kiosk request asks.
    fn kiosk_by_token(&self) -> &'static str;

    /// Writes a check-in in one round trip: the visitor, the visit, its notifications and its
    /// audit entry (the parameters are `check_in.rs`'s `CheckInRows`, then, where the write
    /// appends to the chain and moves its head, `Chained`).
    fn check_in_write(&self) -> &'static str;

    /// What a check-in reads before it writes (`check_in.rs`'s facts), holding the tenant row
    /// as [`key_versions_beside`](Dialect::key_versions_beside) does: rotation waits for the
    /// check-in, and the key versions read are the row's latest.
    fn check_in_facts(&self) -> &'static str;

    /// Check-ins per hour of a viewer's clock since `$5`, as `(hours since the epoch, count)`:
    /// of the site `$2` and the hosts with the email index `$3` (each if given), the clock `$4`
    /// seconds ahead of UTC. The time's own function differs per engine.
    fn visits_per_hour(&self) -> &'static str;

    /// Whether a check-in's audit entry waits in `audit_pending` for the sealer (`seal.rs`)
    /// instead of being chained by the check-in's own write.
    fn seals_audit_later(&self) -> bool;
}
