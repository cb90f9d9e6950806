-- Offline check-ins. Each tenant has an X25519 key pair per data-key version (made when a kiosk
-- first asks after a rotation): kiosks seal check-ins made during an outage to its public half
-- (HPKE), and only the server, holding the private half sealed under the tenant's data key like
-- any personal field, can open them. The row id is the `kid` the kiosk names.
CREATE TABLE offline_keys (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    key_version integer NOT NULL,
    public_key  bytea NOT NULL,
    private_enc bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, key_version)
);
ALTER TABLE offline_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE offline_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON offline_keys
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON offline_keys TO vestibule_app;

-- A kiosk's slot in the tenant's space of provisional badge codes (`Z`, the slot in two
-- characters, then a sequence): given when it first asks for the offline key.
ALTER TABLE kiosks ADD COLUMN offline_slot integer;
CREATE UNIQUE INDEX kiosks_offline_slot ON kiosks (tenant_id, offline_slot);

-- A visit checked in while the kiosk could not reach the server, recorded at its sealed time.
ALTER TABLE visits ADD COLUMN offline boolean NOT NULL DEFAULT false;
