-- What the kiosk's host search shows to anyone standing at the tablet: nothing until the query
-- has `directory_min_chars` characters, and with `directory_exact` only a host whose first or last
-- name (or whole name) is the query. Not personal data: the tenant's choice.
ALTER TABLE tenants ADD COLUMN directory_min_chars integer NOT NULL DEFAULT 2
    CHECK (directory_min_chars BETWEEN 1 AND 10);
ALTER TABLE tenants ADD COLUMN directory_exact boolean NOT NULL DEFAULT false;
GRANT UPDATE (directory_min_chars, directory_exact) ON tenants TO vestibule_app;
