-- The daily automatic sign-out: a site may name a time of day (`HH:MM`, the site's time) at which
-- everyone still on site is checked out (`checked_out_auto`). One row of `auto_checkouts` per site
-- and local day records the run: whichever process inserts it does the work, so it happens once
-- per day, and a process that was down finds the missed day's row absent. A `reminder` row does
-- the same for the hosts' email before it.
ALTER TABLE sites ADD COLUMN auto_checkout_at TEXT;
ALTER TABLE visits ADD COLUMN checked_out_auto INTEGER NOT NULL DEFAULT 0;
-- Hosts whose visitor is still on site this many minutes before the sign-out get an email.
ALTER TABLE tenants ADD COLUMN sign_out_reminder_minutes INTEGER;

CREATE TABLE auto_checkouts (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    site_id     BLOB NOT NULL,
    day         TEXT NOT NULL,
    ran_at      TEXT NOT NULL,
    kind        TEXT NOT NULL DEFAULT 'sign_out' CHECK (kind IN ('sign_out', 'reminder')),
    visits      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, site_id, day, kind),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);
