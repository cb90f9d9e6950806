-- A SCIM user whose userType the tenant's SSO settings list gets a host account that signs in
-- by SSO; the account remembers which SCIM user made it, so the identity provider's
-- deactivation disables that account and its reactivation enables it again.
ALTER TABLE users ADD COLUMN scim_host_id uuid;

-- How many tenants have a data key rotation started and not finished (a count, no tenant named):
-- the metrics' `vestibule_tenants_mid_rotation`, which alerts when a rotation is stuck.
CREATE FUNCTION tenants_mid_rotation()
    RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT COUNT(*) FROM public.tenants WHERE min_decryption_version < key_version $$;
