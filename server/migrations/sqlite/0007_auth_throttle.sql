-- Failed password and PIN attempts, counted by what was typed (a keyed hash of the door, the
-- tenant as typed and the normalised email), not by a found account: an unknown email or tenant
-- is locked out exactly like a real account, so lockout tells nothing about who exists. The hash
-- is keyed by the master key, so the table holds no email and no tenant in any guessable form.
-- The counters on `users` that this replaces are dropped. Also: unknown badge codes per kiosk.
CREATE TABLE auth_throttle (
    key          BLOB NOT NULL PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until TEXT,
    updated_at   TEXT NOT NULL
);
CREATE INDEX auth_throttle_updated ON auth_throttle (updated_at);

ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN login_locked_until;
ALTER TABLE users DROP COLUMN failed_pins;
ALTER TABLE users DROP COLUMN pin_locked_until;

-- Unknown badge codes typed at each kiosk's check-out, so that guessing codes slows down: from
-- the 10th miss in a row the kiosk must wait before its next check-out (1 s, doubling up to
-- 60 s); a right code clears the count, and a count is forgotten 15 minutes after its last miss.
CREATE TABLE badge_misses (
    tenant_id     BLOB NOT NULL,
    kiosk_id      BLOB NOT NULL,
    misses        INTEGER NOT NULL,
    last_miss_at  TEXT NOT NULL,
    blocked_until TEXT,
    PRIMARY KEY (tenant_id, kiosk_id),
    FOREIGN KEY (tenant_id, kiosk_id) REFERENCES kiosks (tenant_id, id) ON DELETE CASCADE
);
