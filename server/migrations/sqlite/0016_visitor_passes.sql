-- Visitor passes: a returning visitor's personal code. A walk-in who asks for one at the
-- agreement gets a `requested` row with the visit; when the visit ends the pass is issued
-- (`active`, good for the tenant's `pass_days`) and emailed through the outbox. Its code and the
-- secret of its revocation link are stored only as keyed hashes. A pass points to the visitor
-- whose (sealed) details a check-in with it reuses; nothing of the visitor is copied here.
ALTER TABLE tenants ADD COLUMN pass_days INTEGER NOT NULL DEFAULT 0;

CREATE TABLE visitor_passes (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           BLOB NOT NULL,
    visitor_id   BLOB NOT NULL,
    visit_id     BLOB NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('requested', 'active', 'revoked')),
    code_hash    BLOB,
    revoke_hash  BLOB,
    issued_at    TEXT,
    expires_at   TEXT,
    revoked_at   TEXT,
    revoked_by   TEXT,
    uses         INTEGER NOT NULL DEFAULT 0,
    last_used_at TEXT,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, code_hash),
    UNIQUE (tenant_id, visit_id),
    FOREIGN KEY (tenant_id, visitor_id) REFERENCES visitors (tenant_id, id),
    FOREIGN KEY (tenant_id, visit_id) REFERENCES visits (tenant_id, id)
);
CREATE INDEX visitor_passes_visitor ON visitor_passes (tenant_id, visitor_id);
