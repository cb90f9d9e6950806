-- The watchlist: people an admin wants stopped at the door. Name, email and reason are sealed
-- like any personal field; a check-in is matched by blind indexes only (the email's, and the
-- name's after `normalize_name`), so no entry is decrypted per check-in. A check-in that matches
-- is held (`visits.hold`): on site but without a badge until a member of staff admits it (the
-- column goes back to NULL) or denies it (`denied`, and the visit is checked out).
CREATE TABLE watchlist (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         uuid NOT NULL,
    name_enc   bytea,
    name_idx   bytea,
    email_enc  bytea,
    email_idx  bytea,
    reason_enc bytea NOT NULL,
    expires_at timestamptz,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CHECK (name_idx IS NOT NULL OR email_idx IS NOT NULL)
);
CREATE INDEX watchlist_by_email ON watchlist (tenant_id, email_idx);
CREATE INDEX watchlist_by_name ON watchlist (tenant_id, name_idx);
ALTER TABLE watchlist ENABLE ROW LEVEL SECURITY;
ALTER TABLE watchlist FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON watchlist
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON watchlist TO vestibule_app;

ALTER TABLE visits ADD COLUMN hold text CHECK (hold IN ('held', 'denied'));
CREATE INDEX visits_held ON visits (tenant_id, checked_in_at) WHERE hold = 'held';
