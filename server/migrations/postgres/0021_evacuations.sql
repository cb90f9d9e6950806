-- The evacuation roll call: a snapshot of who was on site at a site when the evacuation started
-- (`evacuation_people`, one row per visit, with its mark), and the site's emergency contacts
-- (a JSON array of email addresses) who get the roll call's link.
ALTER TABLE sites ADD COLUMN emergency_contacts text NOT NULL DEFAULT '[]';

CREATE TABLE evacuations (
    tenant_id  uuid NOT NULL,
    id         uuid NOT NULL,
    site_id    uuid NOT NULL,
    started_at timestamptz NOT NULL,
    closed_at  timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id)
);
CREATE INDEX evacuations_started ON evacuations (tenant_id, started_at);

CREATE TABLE evacuation_people (
    tenant_id     uuid NOT NULL,
    evacuation_id uuid NOT NULL,
    visit_id      uuid NOT NULL,
    status        text NOT NULL,
    marked_at     timestamptz,
    PRIMARY KEY (tenant_id, evacuation_id, visit_id),
    FOREIGN KEY (tenant_id, evacuation_id) REFERENCES evacuations (tenant_id, id) ON DELETE CASCADE
);

ALTER TABLE evacuations ENABLE ROW LEVEL SECURITY;
ALTER TABLE evacuations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON evacuations
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE evacuation_people ENABLE ROW LEVEL SECURITY;
ALTER TABLE evacuation_people FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON evacuation_people
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON evacuations, evacuation_people TO vestibule_app;
