-- SCIM 2.0 provisioning: a user an identity provider (Entra ID, Okta) provisions is a host. Its
-- SCIM resource (names, emails, externalId) is kept sealed under the tenant's key like any
-- personal field, beside the host it is; `userName` and `externalId` are found by blind indexes
-- only. A host an identity provider deactivates stays (its visits keep their host) but leaves the
-- kiosk directory and takes no new check-ins or invitations.
ALTER TABLE hosts ADD COLUMN active INTEGER NOT NULL DEFAULT 1;

CREATE TABLE scim_users (
    tenant_id       BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              BLOB NOT NULL,
    user_name_idx   BLOB NOT NULL,
    external_id_idx BLOB,
    resource_enc    BLOB NOT NULL,
    version         INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, user_name_idx),
    FOREIGN KEY (tenant_id, id) REFERENCES hosts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX scim_users_external ON scim_users (tenant_id, external_id_idx);
CREATE INDEX scim_users_listed ON scim_users (tenant_id, created_at, id);
