-- The evacuation roll call: a snapshot of who was on site at a site when the evacuation started
-- (`evacuation_people`, one row per visit, with its mark), and the site's emergency contacts
-- (a JSON array of email addresses) who get the roll call's link.
ALTER TABLE sites ADD COLUMN emergency_contacts TEXT NOT NULL DEFAULT '[]';

CREATE TABLE evacuations (
    tenant_id  BLOB NOT NULL,
    id         BLOB NOT NULL,
    site_id    BLOB NOT NULL,
    started_at TEXT NOT NULL,
    closed_at  TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id)
);
CREATE INDEX evacuations_started ON evacuations (tenant_id, started_at);

CREATE TABLE evacuation_people (
    tenant_id     BLOB NOT NULL,
    evacuation_id BLOB NOT NULL,
    visit_id      BLOB NOT NULL,
    status        text NOT NULL,
    marked_at     TEXT,
    PRIMARY KEY (tenant_id, evacuation_id, visit_id),
    FOREIGN KEY (tenant_id, evacuation_id) REFERENCES evacuations (tenant_id, id) ON DELETE CASCADE
);
