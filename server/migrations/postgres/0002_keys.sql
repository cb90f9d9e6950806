-- Encryption at rest: the KEK check (proves at start that the loaded KEK is the one the data was
-- written under) and each tenant's wrapped keys. `data` keys are versioned (rotation); the
-- `index` key (blind indexes of emails) is one per tenant.

CREATE TABLE kek_check (
    id          integer PRIMARY KEY CHECK (id = 1),
    kek_id      text NOT NULL,
    check_enc   bytea NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE tenant_keys (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    purpose      text NOT NULL CHECK (purpose IN ('data', 'index')),
    version      bigint NOT NULL,
    wrapped_key  bytea NOT NULL,
    kek_id       text NOT NULL,
    state        text NOT NULL CHECK (state IN ('active', 'retired')),
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, purpose, version)
);

ALTER TABLE tenants ADD COLUMN key_version bigint NOT NULL DEFAULT 1;
ALTER TABLE tenants ADD COLUMN min_decryption_version bigint NOT NULL DEFAULT 1;

ALTER TABLE tenant_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_keys
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE, DELETE ON kek_check, tenant_keys TO vestibule_app;
