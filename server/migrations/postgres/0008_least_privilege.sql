-- Least privilege for the app role. vestibule_app may do what the server's queries need, nothing
-- more:
--   * _sqlx_migrations: SELECT only (the readiness check). Migrations are the owner's.
--   * kek_check: SELECT only. The owner writes it: the server records a fresh database's master
--     key over its owner connection before it hands out the app pool, and the `keys` commands run
--     as the owner. Wrapping a new key under the master key holds the record with
--     kek_id_for_wrap() below (a row lock needs UPDATE rights, which the app has not).
--   * tenants: under row-level security, the current tenant's row only (its audit chain head,
--     key versions and settings are written inside tenant transactions); UPDATE only of those
--     columns, never of id, slug, name, plan or created_at. A tenant is created inside itself.
--   * enrollment_codes: under row-level security, SELECT, INSERT and DELETE of the current
--     tenant's codes.
-- Before the tenant is known (login and SSO by slug, the operator naming a tenant by id, a kiosk
-- typing its enrollment code) the app calls the SECURITY DEFINER functions below, which answer
-- one key at a time with the routing columns only: nothing can be listed through them.
--
-- tenants and enrollment_codes ENABLE row-level security without FORCE: their owner (migrations,
-- the `keys` commands, and the functions below, which run as it) sees every row; any other role
-- sees only rows of the tenant in app.tenant_id, and with none set, no row. Tenant data tables
-- keep FORCE (0001). A new column of tenants that the server writes needs its own UPDATE grant.

REVOKE ALL ON _sqlx_migrations, kek_check, tenants, enrollment_codes FROM vestibule_app;
GRANT SELECT ON _sqlx_migrations, kek_check TO vestibule_app;
GRANT SELECT, INSERT, DELETE ON tenants, enrollment_codes TO vestibule_app;
GRANT UPDATE (audit_seq, audit_head, key_version, min_decryption_version,
              language, consent_text, notify_checkout, notify_waiting_minutes)
    ON tenants TO vestibule_app;

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
    USING (id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE enrollment_codes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON enrollment_codes
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

-- The routing columns of the tenant with this slug (login, SSO), or no row.
CREATE FUNCTION tenant_route_by_slug(p_slug text)
    RETURNS TABLE (id uuid, plan text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT t.id, t.plan FROM public.tenants t WHERE t.slug = p_slug $$;

-- The routing columns of the tenant with this id (the operator naming a tenant), or no row.
CREATE FUNCTION tenant_route_by_id(p_id uuid)
    RETURNS TABLE (id uuid, plan text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT t.id, t.plan FROM public.tenants t WHERE t.id = p_id $$;

-- Consumes the enrollment code with this hash (deleted, expired or not) and says where it leads.
CREATE FUNCTION take_enrollment_code(p_code_hash bytea)
    RETURNS TABLE (tenant_id uuid, kiosk_id uuid, expires_at timestamptz)
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    DELETE FROM public.enrollment_codes e WHERE e.code_hash = p_code_hash
    RETURNING e.tenant_id, e.kiosk_id, e.expires_at
$$;

-- The master key's id, its record share-locked until the calling transaction ends, so that no
-- master-key rotation commits between this read and the wrap that uses the key.
CREATE FUNCTION kek_id_for_wrap()
    RETURNS text
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT k.kek_id FROM public.kek_check k WHERE k.id = 1 FOR SHARE $$;

REVOKE ALL ON FUNCTION tenant_route_by_slug(text), tenant_route_by_id(uuid),
    take_enrollment_code(bytea), kek_id_for_wrap() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenant_route_by_slug(text), tenant_route_by_id(uuid),
    take_enrollment_code(bytea), kek_id_for_wrap() TO vestibule_app;
