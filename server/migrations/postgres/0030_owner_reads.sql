-- Cross-tenant lookups under a schema owner that is not a superuser (the production layout: the
-- README and deploy/compose/). The SECURITY DEFINER functions kiosk_by_token (0011),
-- auto_checkout_sites (0018), retention_due (0022) and webhook_tenants_due (0028) run as the
-- owner, and these tables FORCE row-level security on their owner too. A superuser bypasses RLS,
-- so on the tests' superuser owner they worked; on an owner that is no superuser they found no
-- kiosk, no site with a daily sign-out, no retention run and no webhook.
--
-- The owner may now read, never write, these tables across tenants. The app role is not a member
-- of the owner, so its queries still see only the rows of the tenant in app.tenant_id. The policy
-- names the role that runs this migration: restore a dump as that same role.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['kiosks', 'sites', 'retention_runs', 'webhooks', 'webhook_cursors'] LOOP
        EXECUTE format('CREATE POLICY owner_reads ON public.%I FOR SELECT TO %I USING (true)',
                       t, current_user);
    END LOOP;
END
$$;
