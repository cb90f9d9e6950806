-- Invitations: a host (or the desk) expects a visitor. The visitor's details are sealed like a
-- visitor's (the row id bound into each ciphertext), the email has a blind index, and the code the
-- visitor brings is stored only as a keyed hash (HMAC under the tenant's index key), so neither a
-- copy of the database nor another tenant can turn a row back into a code. An invitation not used
-- expires at the end of its expected day in the site's time zone (`expires_at`).
CREATE TABLE invites (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           BLOB NOT NULL,
    site_id      BLOB NOT NULL,
    host_id      BLOB NOT NULL,
    name_enc     BLOB NOT NULL,
    email_enc    BLOB NOT NULL,
    email_idx    BLOB NOT NULL,
    company_enc  BLOB,
    note_enc     BLOB,
    expected_at  TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    code_hash    BLOB NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('expected', 'checked_in', 'cancelled')),
    visit_id     BLOB,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, code_hash),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id),
    FOREIGN KEY (tenant_id, host_id) REFERENCES hosts (tenant_id, id),
    FOREIGN KEY (tenant_id, visit_id) REFERENCES visits (tenant_id, id)
);
CREATE INDEX invites_site_day ON invites (tenant_id, site_id, expected_at);
CREATE INDEX invites_visit ON invites (tenant_id, visit_id);
