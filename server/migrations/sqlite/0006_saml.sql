-- SAML 2.0 single sign-on (enterprise plan). One IdP configuration per tenant: `config` is JSON
-- (IdP entity ID, SSO URL, signing certificates in DER/base64, the SP's public base URL, JIT and
-- group-to-role options; no personal data, no secret), `enforce` refuses password login.
CREATE TABLE saml_configs (
    tenant_id   BLOB NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    config      TEXT NOT NULL,
    enforce     INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT NOT NULL
);

-- SP-initiated logins in flight: the AuthnRequest ID the response's InResponseTo must name, and
-- where to send the browser after. Deleted when used; expired rows are swept.
CREATE TABLE saml_requests (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    relay_path  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Assertion IDs already used (one-time use), kept until the assertion could no longer be
-- accepted anyway.
CREATE TABLE saml_replay (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    assertion_id TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, assertion_id)
);
