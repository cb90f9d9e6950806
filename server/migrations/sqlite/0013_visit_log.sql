-- The visit log pages by keyset (checked_in_at, id) newest first, and filters by host (also a
-- signed-in host's own visits) and by visitor (the blind-indexed email): one index for each, so a
-- page costs the same on a million visits as on a hundred.
DROP INDEX visits_checked_in;
CREATE INDEX visits_log ON visits (tenant_id, checked_in_at, id);
CREATE INDEX visits_host_log ON visits (tenant_id, host_id, checked_in_at, id);
CREATE INDEX visits_visitor ON visits (tenant_id, visitor_id, checked_in_at);
-- Who is on site now (Today, the kiosk's override list): only the visits still on site.
CREATE INDEX visits_on_site ON visits (tenant_id, checked_in_at, id) WHERE status = 'on_site';
-- A visit's own history in the console reads the audit entries of one target.
CREATE INDEX audit_log_target ON audit_log (tenant_id, target);
