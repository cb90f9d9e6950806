-- no-transaction
-- A third role: `host`, an employee who signs in to see their own visitors. SQLite cannot change
-- a CHECK constraint, so the table is rebuilt by SQLite's documented procedure (foreign keys off
-- outside the transaction, a new table, copy, drop, rename, foreign keys on again).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE users_new (
    tenant_id        BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               BLOB NOT NULL,
    email_enc        BLOB NOT NULL,
    email_idx        BLOB NOT NULL,
    name_enc         BLOB NOT NULL,
    password_hash    TEXT NOT NULL,
    pin_hash         TEXT,
    role             TEXT NOT NULL CHECK (role IN ('admin', 'receptionist', 'host')),
    disabled         INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, email_idx)
);
INSERT INTO users_new (tenant_id, id, email_enc, email_idx, name_enc, password_hash, pin_hash, role, disabled, created_at)
    SELECT tenant_id, id, email_enc, email_idx, name_enc, password_hash, pin_hash, role, disabled, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
COMMIT;
PRAGMA foreign_keys = ON;
