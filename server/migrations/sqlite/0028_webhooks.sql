-- Webhooks: a tenant's events sent to another system. The events come from the audit chain (a
-- cursor per tenant; each entry of interest becomes one delivery per webhook that asked for it,
-- once, whichever replica gets there first), so the check-in write path is unchanged. The URL
-- (a credential for Slack and Teams) and the signing secrets are sealed under the tenant's key.
CREATE TABLE webhooks (
    tenant_id           BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                  BLOB NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('standard', 'slack', 'teams')),
    url_enc             BLOB NOT NULL,
    events              TEXT NOT NULL,
    include_visitor     INTEGER NOT NULL DEFAULT 0,
    ca_pem              TEXT,
    secret_enc          BLOB,
    prev_secret_enc     BLOB,
    prev_secret_until   TEXT,
    from_seq            INTEGER NOT NULL,
    created_at          TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE webhook_deliveries (
    tenant_id        BLOB NOT NULL,
    id               BLOB NOT NULL,
    webhook_id       BLOB NOT NULL,
    event            TEXT NOT NULL,
    target           TEXT NOT NULL,
    audit_seq        INTEGER,
    occurred_at      TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    lease_owner      TEXT,
    lease_until      TEXT,
    delivered_at     TEXT,
    failed_at        TEXT,
    last_status_code INTEGER,
    last_duration_ms INTEGER,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, webhook_id, audit_seq),
    FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhooks (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (tenant_id, webhook_id, created_at);

CREATE TABLE webhook_cursors (
    tenant_id BLOB PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL
);

