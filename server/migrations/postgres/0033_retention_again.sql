-- A tenant that lowers its `retention_days` has today's retention run happen again at the next
-- look (the visits now too old go then, not the next day): the settings change deletes today's
-- row of `retention_runs`, which the next run claims anew.
GRANT DELETE ON retention_runs TO vestibule_app;
