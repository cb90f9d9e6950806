-- The daily automatic sign-out: a site may name a time of day (`HH:MM`, the site's time) at which
-- everyone still on site is checked out (`checked_out_auto`). One row of `auto_checkouts` per site
-- and local day records the run: whichever replica inserts it does the work, so it happens once
-- per day however many replicas run, and a replica that was down finds the missed day's row absent.
-- A `reminder` row does the same for the hosts' email before it.
ALTER TABLE sites ADD COLUMN auto_checkout_at text
    CHECK (auto_checkout_at ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$');
ALTER TABLE visits ADD COLUMN checked_out_auto boolean NOT NULL DEFAULT false;
-- Hosts whose visitor is still on site this many minutes before the sign-out get an email.
ALTER TABLE tenants ADD COLUMN sign_out_reminder_minutes integer
    CHECK (sign_out_reminder_minutes BETWEEN 1 AND 240);
GRANT UPDATE (sign_out_reminder_minutes) ON tenants TO vestibule_app;

CREATE TABLE auto_checkouts (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    site_id     uuid NOT NULL,
    day         date NOT NULL,
    ran_at      timestamptz NOT NULL,
    kind        text NOT NULL DEFAULT 'sign_out' CHECK (kind IN ('sign_out', 'reminder')),
    visits      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, site_id, day, kind),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);
ALTER TABLE auto_checkouts ENABLE ROW LEVEL SECURITY;
ALTER TABLE auto_checkouts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON auto_checkouts
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON auto_checkouts TO vestibule_app;

-- The sites with a daily sign-out, across tenants (the scheduler's only cross-tenant read): ids,
-- the time and the time zone, nothing else of a site.
CREATE FUNCTION auto_checkout_sites()
    RETURNS TABLE (tenant_id uuid, site_id uuid, auto_checkout_at text, timezone text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.tenant_id, s.id, s.auto_checkout_at, s.timezone FROM public.sites s
    WHERE s.auto_checkout_at IS NOT NULL
$$;
REVOKE ALL ON FUNCTION auto_checkout_sites() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auto_checkout_sites() TO vestibule_app;
