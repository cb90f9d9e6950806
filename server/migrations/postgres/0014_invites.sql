-- Invitations: a host (or the desk) expects a visitor. The visitor's details are sealed like a
-- visitor's (the row id bound into each ciphertext), the email has a blind index, and the code the
-- visitor brings is stored only as a keyed hash (HMAC under the tenant's index key), so neither a
-- copy of the database nor another tenant can turn a row back into a code. An invitation not used
-- expires at the end of its expected day in the site's time zone (`expires_at`).
CREATE TABLE invites (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    site_id      uuid NOT NULL,
    host_id      uuid NOT NULL,
    name_enc     bytea NOT NULL,
    email_enc    bytea NOT NULL,
    email_idx    bytea NOT NULL,
    company_enc  bytea,
    note_enc     bytea,
    expected_at  timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    code_hash    bytea NOT NULL,
    state        text NOT NULL CHECK (state IN ('expected', 'checked_in', 'cancelled')),
    visit_id     uuid,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, code_hash),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id),
    FOREIGN KEY (tenant_id, host_id) REFERENCES hosts (tenant_id, id),
    FOREIGN KEY (tenant_id, visit_id) REFERENCES visits (tenant_id, id)
);
CREATE INDEX invites_site_day ON invites (tenant_id, site_id, expected_at);
CREATE INDEX invites_visit ON invites (tenant_id, visit_id);

ALTER TABLE invites ENABLE ROW LEVEL SECURITY;
ALTER TABLE invites FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invites
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE, DELETE ON invites TO vestibule_app;
