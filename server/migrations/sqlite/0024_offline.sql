-- Offline check-ins. Each tenant has an X25519 key pair per data-key version (made when a kiosk
-- first asks after a rotation): kiosks seal check-ins made during an outage to its public half
-- (HPKE), and only the server, holding the private half sealed under the tenant's data key like
-- any personal field, can open them. The row id is the `kid` the kiosk names.
CREATE TABLE offline_keys (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          BLOB NOT NULL,
    key_version INTEGER NOT NULL,
    public_key  BLOB NOT NULL,
    private_enc BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, key_version)
);

-- A kiosk's slot in the tenant's space of provisional badge codes (`Z`, the slot in two
-- characters, then a sequence): given when it first asks for the offline key.
ALTER TABLE kiosks ADD COLUMN offline_slot INTEGER;
CREATE UNIQUE INDEX kiosks_offline_slot ON kiosks (tenant_id, offline_slot);

-- A visit checked in while the kiosk could not reach the server, recorded at its sealed time.
ALTER TABLE visits ADD COLUMN offline INTEGER NOT NULL DEFAULT 0;
