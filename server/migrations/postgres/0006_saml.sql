-- SAML 2.0 single sign-on (enterprise plan). One IdP configuration per tenant: `config` is JSON
-- (IdP entity ID, SSO URL, signing certificates in DER/base64, the SP's public base URL, JIT and
-- group-to-role options; no personal data, no secret), `enforce` refuses password login.
CREATE TABLE saml_configs (
    tenant_id   uuid NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    config      text NOT NULL,
    enforce     boolean NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL
);

-- SP-initiated logins in flight: the AuthnRequest ID the response's InResponseTo must name, and
-- where to send the browser after. Deleted when used; expired rows are swept.
CREATE TABLE saml_requests (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          text NOT NULL,
    relay_path  text NOT NULL,
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Assertion IDs already used (one-time use across every replica), kept until the assertion
-- could no longer be accepted anyway.
CREATE TABLE saml_replay (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    assertion_id text NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, assertion_id)
);

ALTER TABLE saml_configs ENABLE ROW LEVEL SECURITY;
ALTER TABLE saml_configs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON saml_configs
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE saml_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE saml_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON saml_requests
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE saml_replay ENABLE ROW LEVEL SECURITY;
ALTER TABLE saml_replay FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON saml_replay
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE, DELETE ON saml_configs, saml_requests, saml_replay TO vestibule_app;
