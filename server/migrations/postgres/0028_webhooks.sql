-- Webhooks: a tenant's events sent to another system. The events come from the audit chain (a
-- cursor per tenant; each entry of interest becomes one delivery per webhook that asked for it,
-- once, whichever replica gets there first), so the check-in write path is unchanged. The URL
-- (a credential for Slack and Teams) and the signing secrets are sealed under the tenant's key.
CREATE TABLE webhooks (
    tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                  uuid NOT NULL,
    kind                text NOT NULL CHECK (kind IN ('standard', 'slack', 'teams')),
    url_enc             bytea NOT NULL,
    events              text NOT NULL,
    include_visitor     boolean NOT NULL DEFAULT false,
    ca_pem              text,
    secret_enc          bytea,
    prev_secret_enc     bytea,
    prev_secret_until   timestamptz,
    from_seq            bigint NOT NULL,
    created_at          timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE webhook_deliveries (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL,
    webhook_id       uuid NOT NULL,
    event            text NOT NULL,
    target           text NOT NULL,
    audit_seq        bigint,
    occurred_at      timestamptz NOT NULL,
    attempts         bigint NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    lease_owner      text,
    lease_until      timestamptz,
    delivered_at     timestamptz,
    failed_at        timestamptz,
    last_status_code integer,
    last_duration_ms bigint,
    last_error       text,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, webhook_id, audit_seq),
    FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhooks (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (tenant_id, webhook_id, created_at);

CREATE TABLE webhook_cursors (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    seq       bigint NOT NULL
);

ALTER TABLE webhooks ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhooks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhooks
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_deliveries
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE webhook_cursors ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_cursors FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_cursors
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

-- As for the outbox: only the claim (app.outbox_claim = 'on') sees every tenant's deliveries;
-- payloads are built later inside each tenant.
CREATE POLICY webhook_claim ON webhook_deliveries
    USING (current_setting('app.outbox_claim', true) = 'on')
    WITH CHECK (current_setting('app.outbox_claim', true) = 'on');

-- The tenants with a webhook whose audit chain moved past their cursor (ids only): what the
-- sender's fan-out has to look at, in one statement however many tenants there are.
CREATE FUNCTION webhook_tenants_due()
    RETURNS TABLE (tenant_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT DISTINCT w.tenant_id FROM public.webhooks w
    JOIN public.tenants t ON t.id = w.tenant_id
    LEFT JOIN public.webhook_cursors c ON c.tenant_id = w.tenant_id
    WHERE c.seq IS NULL OR t.audit_seq > c.seq
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON webhooks, webhook_deliveries, webhook_cursors TO vestibule_app;
