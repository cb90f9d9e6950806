-- Tenant API keys: when each last got in (kept to the minute), and their lookup within a tenant.
ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz;
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);
