-- The check-in path, each request's statements made cheap.
--
-- A check-in looks up an earlier visit under its idempotency key with
-- `kiosk_id IS NOT DISTINCT FROM $3 AND idempotency_key = $4` (one text on both engines; a
-- kiosk-less check-in's key is the tenant's). PostgreSQL cannot search an index by
-- `IS NOT DISTINCT FROM`, so with the key after the kiosk every check-in scanned the tenant's
-- visits. The same uniqueness with the key second lets it search by tenant and key.
ALTER TABLE visits DROP CONSTRAINT visits_tenant_id_kiosk_id_idempotency_key_key;
ALTER TABLE visits ADD CONSTRAINT visits_idempotency_key UNIQUE (tenant_id, idempotency_key, kiosk_id);

-- Every kiosk request looks up its device token: one statement outside any transaction, so
-- without the tenant setting row-level security reads. The function answers for the tenant it is
-- given (the token names it), only with a live kiosk, and only to the holder of the token's hash.
CREATE FUNCTION kiosk_by_token(p_tenant uuid, p_token_hash bytea)
    RETURNS TABLE (id uuid, site_id uuid, name text, token_hash bytea, created_at timestamptz,
                   enrolled_at timestamptz, revoked_at timestamptz, last_seen_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- PL/pgSQL keeps the statement's plan for the session (an SQL function plans it every call).
    RETURN QUERY
    SELECT k.id, k.site_id, k.name, k.token_hash, k.created_at, k.enrolled_at, k.revoked_at, k.last_seen_at
    FROM public.kiosks k
    WHERE k.tenant_id = p_tenant AND k.token_hash = p_token_hash AND k.revoked_at IS NULL;
END
$$;

REVOKE ALL ON FUNCTION kiosk_by_token(uuid, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kiosk_by_token(uuid, bytea) TO vestibule_app;
