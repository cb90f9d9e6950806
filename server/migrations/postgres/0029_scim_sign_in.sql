-- A SCIM user whose userType the tenant's SSO settings list gets a host account that signs in
-- by SSO; the account remembers which SCIM user made it, so the identity provider's
-- deactivation disables that account and its reactivation enables it again.
ALTER TABLE users ADD COLUMN scim_host_id uuid;
