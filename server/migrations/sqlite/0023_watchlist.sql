-- The watchlist: people an admin wants stopped at the door. Name, email and reason are sealed
-- like any personal field; a check-in is matched by blind indexes only (the email's, and the
-- name's after `normalize_name`), so no entry is decrypted per check-in. A check-in that matches
-- is held (`visits.hold`): on site but without a badge until a member of staff admits it (the
-- column goes back to NULL) or denies it (`denied`, and the visit is checked out).
CREATE TABLE watchlist (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         BLOB NOT NULL,
    name_enc   BLOB,
    name_idx   BLOB,
    email_enc  BLOB,
    email_idx  BLOB,
    reason_enc BLOB NOT NULL,
    expires_at TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CHECK (name_idx IS NOT NULL OR email_idx IS NOT NULL)
);
CREATE INDEX watchlist_by_email ON watchlist (tenant_id, email_idx);
CREATE INDEX watchlist_by_name ON watchlist (tenant_id, name_idx);

ALTER TABLE visits ADD COLUMN hold TEXT CHECK (hold IN ('held', 'denied'));
CREATE INDEX visits_held ON visits (tenant_id, checked_in_at) WHERE hold = 'held';
