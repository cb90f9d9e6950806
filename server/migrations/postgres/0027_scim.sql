-- SCIM 2.0 provisioning: a user an identity provider (Entra ID, Okta) provisions is a host. Its
-- SCIM resource (names, emails, externalId) is kept sealed under the tenant's key like any
-- personal field, beside the host it is; `userName` and `externalId` are found by blind indexes
-- only. A host an identity provider deactivates stays (its visits keep their host) but leaves the
-- kiosk directory and takes no new check-ins or invitations.
ALTER TABLE hosts ADD COLUMN active boolean NOT NULL DEFAULT true;

CREATE TABLE scim_users (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              uuid NOT NULL,
    user_name_idx   bytea NOT NULL,
    external_id_idx bytea,
    resource_enc    bytea NOT NULL,
    version         bigint NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, user_name_idx),
    FOREIGN KEY (tenant_id, id) REFERENCES hosts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX scim_users_external ON scim_users (tenant_id, external_id_idx);
CREATE INDEX scim_users_listed ON scim_users (tenant_id, created_at, id);
ALTER TABLE scim_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE scim_users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON scim_users
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON scim_users TO vestibule_app;
