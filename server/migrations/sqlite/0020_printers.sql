-- Badges: a site's label printers (tried in order, fallbacks last) and the tenant's logo. The
-- logo is a validated PNG or a re-written SVG of at most 256 KiB; nothing here is personal.
CREATE TABLE printers (
    tenant_id  BLOB NOT NULL,
    id         BLOB NOT NULL,
    site_id    BLOB NOT NULL,
    name       TEXT NOT NULL,
    url        TEXT NOT NULL,
    template   TEXT NOT NULL,
    fallback   INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX printers_site ON printers (tenant_id, site_id);

CREATE TABLE tenant_logos (
    tenant_id    BLOB PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    data         BLOB NOT NULL,
    updated_at   TEXT NOT NULL
);
