-- Check-ins no longer queue on their tenant's audit chain head. A check-in writes its audit entry
-- here, in its own transaction; the sealer (store/seal.rs) moves a tenant's pending entries into
-- the hash chain in one transaction of its own, holding the chain head only for that moment, in
-- the order of their ids (UUIDv7, the check-in's time). Until sealed (right after the check-in
-- commits, and before the log is read or verified) an entry is exactly as protected as the visit
-- it records; once sealed, editing or removing it breaks the chain like any other entry.
CREATE TABLE audit_pending (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         uuid NOT NULL,
    at         timestamptz NOT NULL,
    actor      text NOT NULL,
    action     text NOT NULL,
    target     text NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

ALTER TABLE audit_pending ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_pending FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_pending
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

GRANT SELECT, INSERT, DELETE ON audit_pending TO vestibule_app;
