-- Badges: a site's label printers (tried in order, fallbacks last) and the tenant's logo. The
-- logo is a validated PNG or a re-written SVG of at most 256 KiB; nothing here is personal.
CREATE TABLE printers (
    tenant_id  uuid NOT NULL,
    id         uuid NOT NULL,
    site_id    uuid NOT NULL,
    name       text NOT NULL,
    url        text NOT NULL,
    template   text NOT NULL,
    fallback   boolean NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX printers_site ON printers (tenant_id, site_id);

CREATE TABLE tenant_logos (
    tenant_id    uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    content_type text NOT NULL,
    data         bytea NOT NULL,
    updated_at   timestamptz NOT NULL
);

ALTER TABLE printers ENABLE ROW LEVEL SECURITY;
ALTER TABLE printers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON printers
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE tenant_logos ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_logos FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_logos
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON printers, tenant_logos TO vestibule_app;
