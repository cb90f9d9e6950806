-- Encryption at rest: the KEK check (proves at start that the loaded KEK is the one the data was
-- written under) and each tenant's wrapped keys. `data` keys are versioned (rotation); the
-- `index` key (blind indexes of emails) is one per tenant.

CREATE TABLE kek_check (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    kek_id      TEXT NOT NULL,
    check_enc   BLOB NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE tenant_keys (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    purpose      TEXT NOT NULL CHECK (purpose IN ('data', 'index')),
    version      INTEGER NOT NULL,
    wrapped_key  BLOB NOT NULL,
    kek_id       TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('active', 'retired')),
    created_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, purpose, version)
);

ALTER TABLE tenants ADD COLUMN key_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE tenants ADD COLUMN min_decryption_version INTEGER NOT NULL DEFAULT 1;
