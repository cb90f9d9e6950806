-- Visitor passes: a returning visitor's personal code. A walk-in who asks for one at the
-- agreement gets a `requested` row with the visit; when the visit ends the pass is issued
-- (`active`, good for the tenant's `pass_days`) and emailed through the outbox. Its code and the
-- secret of its revocation link are stored only as keyed hashes. A pass points to the visitor
-- whose (sealed) details a check-in with it reuses; nothing of the visitor is copied here.
ALTER TABLE tenants ADD COLUMN pass_days integer NOT NULL DEFAULT 0;

CREATE TABLE visitor_passes (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    visitor_id   uuid NOT NULL,
    visit_id     uuid NOT NULL,
    state        text NOT NULL CHECK (state IN ('requested', 'active', 'revoked')),
    code_hash    bytea,
    revoke_hash  bytea,
    issued_at    timestamptz,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    revoked_by   text,
    uses         bigint NOT NULL DEFAULT 0,
    last_used_at timestamptz,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, code_hash),
    UNIQUE (tenant_id, visit_id),
    FOREIGN KEY (tenant_id, visitor_id) REFERENCES visitors (tenant_id, id),
    FOREIGN KEY (tenant_id, visit_id) REFERENCES visits (tenant_id, id)
);
CREATE INDEX visitor_passes_visitor ON visitor_passes (tenant_id, visitor_id);

ALTER TABLE visitor_passes ENABLE ROW LEVEL SECURITY;
ALTER TABLE visitor_passes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON visitor_passes
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE, DELETE ON visitor_passes TO vestibule_app;
GRANT UPDATE (pass_days) ON tenants TO vestibule_app;
