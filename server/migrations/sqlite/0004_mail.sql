-- The mail sender. Outbox rows are claimed with a lease (lease_owner, lease_until) so several
-- processes never work on one row at once; `sending_at` + `message_id` are written and committed
-- right before the SMTP exchange, so a crash mid-send is recognised and never sent twice;
-- `failed_at` marks a row given up on (with `last_error`, which never holds personal data).
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
ALTER TABLE outbox ADD COLUMN sending_at TEXT;
ALTER TABLE outbox ADD COLUMN message_id TEXT;
ALTER TABLE outbox ADD COLUMN failed_at TEXT;
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE UNIQUE INDEX integrations_kind ON integrations (tenant_id, kind);
