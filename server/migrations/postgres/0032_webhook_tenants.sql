-- The tenants with at least one webhook (ids only): the webhook sender looks again on a visit
-- change only when its tenant is one of them, instead of asking webhook_tenants_due() (0028)
-- after every change of every tenant. Read as the owner, as 0030 lets it.
CREATE FUNCTION webhook_tenants()
    RETURNS TABLE (tenant_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT DISTINCT w.tenant_id FROM public.webhooks w $$;
REVOKE ALL ON FUNCTION webhook_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhook_tenants() TO vestibule_app;
