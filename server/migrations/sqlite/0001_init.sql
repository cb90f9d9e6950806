-- Vestibule schema, SQLite engine. Tenancy here is enforced by the repository layer: every query
-- of a tenant table carries tenant_id. IDs are UUIDv7 (16-byte BLOBs), times are RFC 3339 UTC text.
-- Columns named *_enc hold sealed personal data; *_idx hold blind indexes.

CREATE TABLE tenants (
    id          BLOB PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    plan        TEXT NOT NULL CHECK (plan IN ('free', 'business', 'enterprise')),
    audit_seq   INTEGER NOT NULL DEFAULT 0,
    audit_head  BLOB NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE sites (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          BLOB NOT NULL,
    name        TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE users (
    tenant_id        BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               BLOB NOT NULL,
    email_enc        BLOB NOT NULL,
    email_idx        BLOB NOT NULL,
    name_enc         BLOB NOT NULL,
    password_hash    TEXT NOT NULL,
    pin_hash         TEXT,
    role             TEXT NOT NULL CHECK (role IN ('admin', 'receptionist')),
    disabled         INTEGER NOT NULL DEFAULT 0,
    failed_logins    INTEGER NOT NULL DEFAULT 0,
    login_locked_until TEXT,
    failed_pins      INTEGER NOT NULL DEFAULT 0,
    pin_locked_until TEXT,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, email_idx)
);

CREATE TABLE hosts (
    tenant_id   BLOB NOT NULL,
    id          BLOB NOT NULL,
    site_id     BLOB NOT NULL,
    name_enc    BLOB NOT NULL,
    email_enc   BLOB NOT NULL,
    email_idx   BLOB NOT NULL,
    user_id     BLOB,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX hosts_site ON hosts (tenant_id, site_id);

CREATE TABLE kiosks (
    tenant_id     BLOB NOT NULL,
    id            BLOB NOT NULL,
    site_id       BLOB NOT NULL,
    name          TEXT NOT NULL,
    token_hash    BLOB UNIQUE,
    created_at    TEXT NOT NULL,
    enrolled_at   TEXT,
    revoked_at    TEXT,
    last_seen_at  TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id)
);

-- Routing table for enrollment: a code is typed on a kiosk that does not know its tenant yet.
-- It holds only a hash of the code and ids, nothing personal.
CREATE TABLE enrollment_codes (
    code_hash   BLOB PRIMARY KEY,
    tenant_id   BLOB NOT NULL,
    kiosk_id    BLOB NOT NULL,
    expires_at  TEXT NOT NULL,
    FOREIGN KEY (tenant_id, kiosk_id) REFERENCES kiosks (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE sessions (
    tenant_id    BLOB NOT NULL,
    id           BLOB NOT NULL,
    user_id      BLOB NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('session', 'override')),
    kiosk_id     BLOB,
    token_hash   BLOB NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    absolute_expires_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, kiosk_id) REFERENCES kiosks (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE visitors (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           BLOB NOT NULL,
    name_enc     BLOB NOT NULL,
    email_enc    BLOB NOT NULL,
    email_idx    BLOB NOT NULL,
    company_enc  BLOB,
    phone_enc    BLOB,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX visitors_email ON visitors (tenant_id, email_idx);

CREATE TABLE visits (
    tenant_id        BLOB NOT NULL,
    id               BLOB NOT NULL,
    site_id          BLOB NOT NULL,
    visitor_id       BLOB NOT NULL,
    host_id          BLOB NOT NULL,
    purpose_enc      BLOB,
    status           TEXT NOT NULL CHECK (status IN ('on_site', 'checked_out')),
    badge_code       TEXT NOT NULL,
    checked_in_at    TEXT NOT NULL,
    checked_out_at   TEXT,
    created_by       TEXT NOT NULL,
    kiosk_id         BLOB,
    idempotency_key  TEXT,
    request_hash     BLOB,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, badge_code),
    UNIQUE (tenant_id, kiosk_id, idempotency_key),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id),
    FOREIGN KEY (tenant_id, visitor_id) REFERENCES visitors (tenant_id, id),
    FOREIGN KEY (tenant_id, host_id) REFERENCES hosts (tenant_id, id)
);
CREATE INDEX visits_site_status ON visits (tenant_id, site_id, status);
CREATE INDEX visits_checked_in ON visits (tenant_id, checked_in_at);

CREATE TABLE audit_log (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    prev_hash   BLOB NOT NULL,
    hash        BLOB NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);

CREATE TABLE outbox (
    tenant_id        BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               BLOB NOT NULL,
    kind             TEXT NOT NULL,
    payload_enc      BLOB NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    sent_at          TEXT,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;

-- tenant_id NULL = a platform (operator) key.
CREATE TABLE api_keys (
    id           BLOB PRIMARY KEY,
    tenant_id    BLOB REFERENCES tenants (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   BLOB NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT
);

CREATE TABLE integrations (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          BLOB NOT NULL,
    kind        TEXT NOT NULL,
    config      TEXT NOT NULL,
    secret_enc  BLOB,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
