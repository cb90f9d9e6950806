-- Vestibule schema, PostgreSQL engine. Every tenant table has row-level security, FORCEd, with a
-- policy on the transaction-local setting app.tenant_id; the server runs as vestibule_app, a role
-- that owns nothing and cannot bypass RLS. No tenant set means no tenant rows.
-- Columns named *_enc hold sealed personal data; *_idx hold blind indexes.

DO $$
BEGIN
    CREATE ROLE vestibule_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE,
    name        text NOT NULL,
    plan        text NOT NULL CHECK (plan IN ('free', 'business', 'enterprise')),
    audit_seq   bigint NOT NULL DEFAULT 0,
    audit_head  bytea NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE sites (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    name        text NOT NULL,
    timezone    text NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE users (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL,
    email_enc        bytea NOT NULL,
    email_idx        bytea NOT NULL,
    name_enc         bytea NOT NULL,
    password_hash    text NOT NULL,
    pin_hash         text,
    role             text NOT NULL CHECK (role IN ('admin', 'receptionist')),
    disabled         boolean NOT NULL DEFAULT false,
    failed_logins    bigint NOT NULL DEFAULT 0,
    login_locked_until timestamptz,
    failed_pins      bigint NOT NULL DEFAULT 0,
    pin_locked_until timestamptz,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, email_idx)
);

CREATE TABLE hosts (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    site_id     uuid NOT NULL,
    name_enc    bytea NOT NULL,
    email_enc   bytea NOT NULL,
    email_idx   bytea NOT NULL,
    user_id     uuid,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX hosts_site ON hosts (tenant_id, site_id);

CREATE TABLE kiosks (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    site_id       uuid NOT NULL,
    name          text NOT NULL,
    token_hash    bytea UNIQUE,
    created_at    timestamptz NOT NULL,
    enrolled_at   timestamptz,
    revoked_at    timestamptz,
    last_seen_at  timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id)
);

-- Routing table for enrollment: a code is typed on a kiosk that does not know its tenant yet.
-- It holds only a hash of the code and ids, nothing personal.
CREATE TABLE enrollment_codes (
    code_hash   bytea PRIMARY KEY,
    tenant_id   uuid NOT NULL,
    kiosk_id    uuid NOT NULL,
    expires_at  timestamptz NOT NULL,
    FOREIGN KEY (tenant_id, kiosk_id) REFERENCES kiosks (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE sessions (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    user_id      uuid NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('session', 'override')),
    kiosk_id     uuid,
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    absolute_expires_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, kiosk_id) REFERENCES kiosks (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE visitors (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    name_enc     bytea NOT NULL,
    email_enc    bytea NOT NULL,
    email_idx    bytea NOT NULL,
    company_enc  bytea,
    phone_enc    bytea,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX visitors_email ON visitors (tenant_id, email_idx);

CREATE TABLE visits (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL,
    site_id          uuid NOT NULL,
    visitor_id       uuid NOT NULL,
    host_id          uuid NOT NULL,
    purpose_enc      bytea,
    status           text NOT NULL CHECK (status IN ('on_site', 'checked_out')),
    badge_code       text NOT NULL,
    checked_in_at    timestamptz NOT NULL,
    checked_out_at   timestamptz,
    created_by       text NOT NULL,
    kiosk_id         uuid,
    idempotency_key  text,
    request_hash     bytea,
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
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq         bigint NOT NULL,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    target      text NOT NULL,
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);

CREATE TABLE outbox (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL,
    kind             text NOT NULL,
    payload_enc      bytea NOT NULL,
    attempts         bigint NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    sent_at          timestamptz,
    last_error       text,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;

-- tenant_id NULL = a platform (operator) key.
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    tenant_id    uuid REFERENCES tenants (id) ON DELETE CASCADE,
    name         text NOT NULL,
    token_hash   bytea NOT NULL UNIQUE,
    scopes       text NOT NULL,
    created_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);

CREATE TABLE integrations (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    kind        text NOT NULL,
    config      text NOT NULL,
    secret_enc  bytea,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Row-level security. enrollment_codes and tenants are routing tables without personal data:
-- a kiosk that types a code does not know its tenant yet.
ALTER TABLE sites ENABLE ROW LEVEL SECURITY;
ALTER TABLE sites FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sites
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE hosts ENABLE ROW LEVEL SECURITY;
ALTER TABLE hosts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON hosts
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE kiosks ENABLE ROW LEVEL SECURITY;
ALTER TABLE kiosks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kiosks
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sessions
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE visitors ENABLE ROW LEVEL SECURITY;
ALTER TABLE visitors FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON visitors
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE visits ENABLE ROW LEVEL SECURITY;
ALTER TABLE visits FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON visits
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON outbox
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE integrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE integrations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON integrations
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
-- api_keys: with no tenant set only platform keys (tenant_id NULL) are visible.
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
    USING (tenant_id IS NOT DISTINCT FROM nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id IS NOT DISTINCT FROM nullif(current_setting('app.tenant_id', true), '')::uuid);

GRANT USAGE ON SCHEMA public TO vestibule_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO vestibule_app;
