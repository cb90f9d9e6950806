-- Today's check-outs for the dashboard (store/visit_stats.rs), from an index instead of a
-- scan of the tenant's visits.
CREATE INDEX visits_checked_out ON visits (tenant_id, checked_out_at) WHERE checked_out_at IS NOT NULL;
