-- The sealer's sweep (store/seal.rs) finds the tenants whose check-ins' audit entries are still
-- waiting in audit_pending: what a process that died between a check-in's commit and its sealing
-- left behind. With app.audit_sweep = 'on' (set for that one query, transaction-local, nothing
-- else) the app role may read every tenant's pending rows; it may not write them, and sealing
-- itself still runs in each tenant's own transaction.
CREATE POLICY audit_sweep ON audit_pending FOR SELECT
    USING (current_setting('app.audit_sweep', true) = 'on');
