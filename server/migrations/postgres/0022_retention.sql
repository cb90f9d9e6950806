-- Retention: a tenant keeps its visits (and what hangs on them: the visitor, invitation, pass,
-- answers, signatures, roll call marks, notifications) `retention_days` days; a daily job removes
-- what is older, in small batches. One row of `retention_runs` per tenant and UTC day records the
-- run: whichever process inserts it does the work, once across replicas. Removed rows leave the
-- table's pages through the ordinary (auto)vacuum.
ALTER TABLE tenants ADD COLUMN retention_days integer NOT NULL DEFAULT 365
    CHECK (retention_days BETWEEN 30 AND 3650);
GRANT UPDATE (retention_days) ON tenants TO vestibule_app;

CREATE TABLE retention_runs (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day        date NOT NULL,
    ran_at     timestamptz NOT NULL,
    visits     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day)
);
ALTER TABLE retention_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE retention_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON retention_runs
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON retention_runs TO vestibule_app;
GRANT DELETE ON visit_records, visit_agreements, evacuations, evacuation_people TO vestibule_app;

-- The tenants whose retention run of day `p_day` has not happened yet, across tenants (the
-- scheduler's only cross-tenant read): the id and the number of days, nothing else.
CREATE FUNCTION retention_due(p_day date)
    RETURNS TABLE (tenant_id uuid, retention_days integer)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.id, t.retention_days FROM public.tenants t
    WHERE NOT EXISTS (SELECT 1 FROM public.retention_runs r WHERE r.tenant_id = t.id AND r.day = p_day)
$$;
REVOKE ALL ON FUNCTION retention_due(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention_due(date) TO vestibule_app;
