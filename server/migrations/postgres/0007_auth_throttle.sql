-- Failed password and PIN attempts, counted by what was typed (a keyed hash of the door, the
-- tenant as typed and the normalised email), not by a found account: an unknown email or tenant
-- is locked out exactly like a real account, so lockout tells nothing about who exists. The hash
-- is keyed by the master key, so the table holds no email and no tenant in any guessable form;
-- it belongs to no tenant (the tenant may not exist), so it has no row-level security.
-- The counters on `users` that this replaces are dropped. Also: unknown badge codes per kiosk.
CREATE TABLE auth_throttle (
    key          bytea NOT NULL PRIMARY KEY,
    failures     bigint NOT NULL,
    locked_until timestamptz,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX auth_throttle_updated ON auth_throttle (updated_at);
GRANT SELECT, INSERT, UPDATE, DELETE ON auth_throttle TO vestibule_app;

ALTER TABLE users
    DROP COLUMN failed_logins,
    DROP COLUMN login_locked_until,
    DROP COLUMN failed_pins,
    DROP COLUMN pin_locked_until;

-- Unknown badge codes typed at each kiosk's check-out, so that guessing codes slows down: from
-- the 10th miss in a row the kiosk must wait before its next check-out (1 s, doubling up to
-- 60 s); a right code clears the count, and a count is forgotten 15 minutes after its last miss.
CREATE TABLE badge_misses (
    tenant_id     uuid NOT NULL,
    kiosk_id      uuid NOT NULL,
    misses        bigint NOT NULL,
    last_miss_at  timestamptz NOT NULL,
    blocked_until timestamptz,
    PRIMARY KEY (tenant_id, kiosk_id),
    FOREIGN KEY (tenant_id, kiosk_id) REFERENCES kiosks (tenant_id, id) ON DELETE CASCADE
);
ALTER TABLE badge_misses ENABLE ROW LEVEL SECURITY;
ALTER TABLE badge_misses FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON badge_misses
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON badge_misses TO vestibule_app;
