-- no-transaction
-- A visit may have no host: a check-in sealed on a kiosk during an outage whose host was removed
-- before it arrived is still recorded, with the host cleared (reception is alerted and sets one).
-- SQLite cannot drop a NOT NULL constraint, so the table is rebuilt by SQLite's documented
-- procedure (foreign keys off outside the transaction, a new table, copy, drop, rename, the
-- indexes again, the foreign keys checked, foreign keys on again).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE visits_new (
    tenant_id        BLOB NOT NULL,
    id               BLOB NOT NULL,
    site_id          BLOB NOT NULL,
    visitor_id       BLOB NOT NULL,
    host_id          BLOB,
    purpose_enc      BLOB,
    status           TEXT NOT NULL CHECK (status IN ('on_site', 'checked_out')),
    badge_code       TEXT NOT NULL,
    checked_in_at    TEXT NOT NULL,
    checked_out_at   TEXT,
    created_by       TEXT NOT NULL,
    kiosk_id         BLOB,
    idempotency_key  TEXT,
    request_hash     BLOB,
    checked_out_auto INTEGER NOT NULL DEFAULT 0,
    approval         TEXT CHECK (approval IN ('pending', 'approved', 'denied')),
    hold             TEXT CHECK (hold IN ('held', 'denied')),
    offline          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, badge_code),
    UNIQUE (tenant_id, kiosk_id, idempotency_key),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id),
    FOREIGN KEY (tenant_id, visitor_id) REFERENCES visitors (tenant_id, id),
    FOREIGN KEY (tenant_id, host_id) REFERENCES hosts (tenant_id, id)
);
INSERT INTO visits_new (tenant_id, id, site_id, visitor_id, host_id, purpose_enc, status, badge_code,
        checked_in_at, checked_out_at, created_by, kiosk_id, idempotency_key, request_hash,
        checked_out_auto, approval, hold, offline)
    SELECT tenant_id, id, site_id, visitor_id, host_id, purpose_enc, status, badge_code,
        checked_in_at, checked_out_at, created_by, kiosk_id, idempotency_key, request_hash,
        checked_out_auto, approval, hold, offline FROM visits;
DROP TABLE visits;
ALTER TABLE visits_new RENAME TO visits;
CREATE INDEX visits_site_status ON visits (tenant_id, site_id, status);
CREATE INDEX visits_log ON visits (tenant_id, checked_in_at, id);
CREATE INDEX visits_host_log ON visits (tenant_id, host_id, checked_in_at, id);
CREATE INDEX visits_visitor ON visits (tenant_id, visitor_id, checked_in_at);
CREATE INDEX visits_on_site ON visits (tenant_id, checked_in_at, id) WHERE status = 'on_site';
CREATE INDEX visits_held ON visits (tenant_id, checked_in_at) WHERE hold = 'held';
COMMIT;
PRAGMA foreign_keys = ON;
