-- Visitor types: a check-in flow per kind of visitor. A type's definition (names, fields,
-- questions, agreements, photo, host and approval rules) is one JSON document in `flow`; nothing
-- in it is personal. `visitor_type_sites` lists the sites of a type that is not on every site.
-- Agreement documents are versioned; a version is never changed, and a document is archived, not
-- deleted, so that a signed visit always finds the text it was shown.
CREATE TABLE visitor_types (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    flow        text NOT NULL,
    all_sites   boolean NOT NULL,
    position    integer NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE visitor_type_sites (
    tenant_id uuid NOT NULL,
    type_id   uuid NOT NULL,
    site_id   uuid NOT NULL,
    PRIMARY KEY (tenant_id, type_id, site_id),
    FOREIGN KEY (tenant_id, type_id) REFERENCES visitor_types (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX visitor_type_sites_site ON visitor_type_sites (tenant_id, site_id);

CREATE TABLE agreements (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    name        text NOT NULL,
    version     integer NOT NULL,
    archived_at timestamptz,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- `texts`: JSON, per language {title, body, sha256}.
CREATE TABLE agreement_versions (
    tenant_id    uuid NOT NULL,
    agreement_id uuid NOT NULL,
    version      integer NOT NULL,
    texts        text NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, agreement_id, version),
    FOREIGN KEY (tenant_id, agreement_id) REFERENCES agreements (tenant_id, id) ON DELETE CASCADE
);

-- A visit waiting for its host's approval is on site (in the building, on the evacuation list)
-- with `approval` pending and no badge code shown; a denied one is checked out.
ALTER TABLE visits ADD COLUMN approval text CHECK (approval IN ('pending', 'approved', 'denied'));

-- What a visit of a visitor type recorded (`id`: the visit's): the type's name then, the answers
-- (JSON, sealed), the photo and the signature (sealed), and who decided an approval.
CREATE TABLE visit_records (
    tenant_id       uuid NOT NULL,
    id              uuid NOT NULL,
    visitor_type_id uuid,
    type_name       text,
    answers_enc     bytea,
    photo_enc       bytea,
    signature_enc   bytea,
    decided_at      timestamptz,
    decided_by      text,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, id) REFERENCES visits (tenant_id, id)
);

CREATE TABLE visit_agreements (
    tenant_id    uuid NOT NULL,
    visit_id     uuid NOT NULL,
    agreement_id uuid NOT NULL,
    version      integer NOT NULL,
    language     text NOT NULL,
    sha256       bytea NOT NULL,
    signed_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, visit_id, agreement_id),
    FOREIGN KEY (tenant_id, visit_id) REFERENCES visits (tenant_id, id),
    FOREIGN KEY (tenant_id, agreement_id, version)
        REFERENCES agreement_versions (tenant_id, agreement_id, version)
);

ALTER TABLE visitor_types ENABLE ROW LEVEL SECURITY;
ALTER TABLE visitor_type_sites ENABLE ROW LEVEL SECURITY;
ALTER TABLE agreements ENABLE ROW LEVEL SECURITY;
ALTER TABLE agreement_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE visit_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE visit_agreements ENABLE ROW LEVEL SECURITY;
ALTER TABLE visitor_types FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON visitor_types
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE visitor_type_sites FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON visitor_type_sites
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE agreements FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agreements
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE agreement_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agreement_versions
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE visit_records FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON visit_records
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE visit_agreements FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON visit_agreements
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON visitor_types, visitor_type_sites TO vestibule_app;
GRANT SELECT, INSERT, UPDATE ON agreements, agreement_versions, visit_records, visit_agreements
    TO vestibule_app;
