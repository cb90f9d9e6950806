-- The mail sender. Outbox rows are claimed with a lease (lease_owner, lease_until) so several
-- replicas never work on one row at once (claims use FOR UPDATE SKIP LOCKED); `sending_at` +
-- `message_id` are written and committed right before the SMTP exchange, so a crash mid-send is
-- recognised and never sent twice; `failed_at` marks a row given up on (with `last_error`, which
-- never holds personal data).
ALTER TABLE outbox ADD COLUMN lease_owner text;
ALTER TABLE outbox ADD COLUMN lease_until timestamptz;
ALTER TABLE outbox ADD COLUMN sending_at timestamptz;
ALTER TABLE outbox ADD COLUMN message_id text;
ALTER TABLE outbox ADD COLUMN failed_at timestamptz;
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE UNIQUE INDEX integrations_kind ON integrations (tenant_id, kind);

-- The sender claims due rows of every tenant in one statement. Only a transaction that sets
-- app.outbox_claim = 'on' (the claim, nothing else) sees other tenants' outbox rows, and only
-- their routing columns matter there: payloads stay sealed under each tenant's key.
CREATE POLICY outbox_claim ON outbox
    USING (current_setting('app.outbox_claim', true) = 'on')
    WITH CHECK (current_setting('app.outbox_claim', true) = 'on');
