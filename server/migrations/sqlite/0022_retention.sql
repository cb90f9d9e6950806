-- Retention: a tenant keeps its visits (and what hangs on them: the visitor, invitation, pass,
-- answers, signatures, roll call marks, notifications) `retention_days` days; a daily job removes
-- what is older, in small batches. One row of `retention_runs` per tenant and UTC day records the
-- run: whichever process inserts it does the work, once across replicas. `secure_delete` (set on
-- every connection) overwrites what is removed, and the run ends with a truncating checkpoint.
ALTER TABLE tenants ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 365
    CHECK (retention_days BETWEEN 30 AND 3650);

CREATE TABLE retention_runs (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day        TEXT NOT NULL,
    ran_at     TEXT NOT NULL,
    visits     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day)
);
