-- Visitor types: a check-in flow per kind of visitor. A type's definition (names, fields,
-- questions, agreements, photo, host and approval rules) is one JSON document in `flow`; nothing
-- in it is personal. `visitor_type_sites` lists the sites of a type that is not on every site.
-- Agreement documents are versioned; a version is never changed, and a document is archived, not
-- deleted, so that a signed visit always finds the text it was shown.
CREATE TABLE visitor_types (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          BLOB NOT NULL,
    flow        TEXT NOT NULL,
    all_sites   INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE visitor_type_sites (
    tenant_id BLOB NOT NULL,
    type_id   BLOB NOT NULL,
    site_id   BLOB NOT NULL,
    PRIMARY KEY (tenant_id, type_id, site_id),
    FOREIGN KEY (tenant_id, type_id) REFERENCES visitor_types (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX visitor_type_sites_site ON visitor_type_sites (tenant_id, site_id);

CREATE TABLE agreements (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          BLOB NOT NULL,
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    archived_at TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- `texts`: JSON, per language {title, body, sha256}.
CREATE TABLE agreement_versions (
    tenant_id    BLOB NOT NULL,
    agreement_id BLOB NOT NULL,
    version      INTEGER NOT NULL,
    texts        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, agreement_id, version),
    FOREIGN KEY (tenant_id, agreement_id) REFERENCES agreements (tenant_id, id) ON DELETE CASCADE
);

-- A visit waiting for its host's approval is on site (in the building, on the evacuation list)
-- with `approval` pending and no badge code shown; a denied one is checked out.
ALTER TABLE visits ADD COLUMN approval TEXT CHECK (approval IN ('pending', 'approved', 'denied'));

-- What a visit of a visitor type recorded (`id`: the visit's): the type's name then, the answers
-- (JSON, sealed), the photo and the signature (sealed), and who decided an approval.
CREATE TABLE visit_records (
    tenant_id       BLOB NOT NULL,
    id              BLOB NOT NULL,
    visitor_type_id BLOB,
    type_name       TEXT,
    answers_enc     BLOB,
    photo_enc       BLOB,
    signature_enc   BLOB,
    decided_at      TEXT,
    decided_by      TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, id) REFERENCES visits (tenant_id, id)
);

CREATE TABLE visit_agreements (
    tenant_id    BLOB NOT NULL,
    visit_id     BLOB NOT NULL,
    agreement_id BLOB NOT NULL,
    version      INTEGER NOT NULL,
    language     TEXT NOT NULL,
    sha256       BLOB NOT NULL,
    signed_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, visit_id, agreement_id),
    FOREIGN KEY (tenant_id, visit_id) REFERENCES visits (tenant_id, id),
    FOREIGN KEY (tenant_id, agreement_id, version)
        REFERENCES agreement_versions (tenant_id, agreement_id, version)
);
