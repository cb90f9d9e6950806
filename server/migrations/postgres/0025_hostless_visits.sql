-- A visit may have no host: a check-in sealed on a kiosk during an outage whose host was removed
-- before it arrived is still recorded, with the host cleared (reception is alerted and sets one).
ALTER TABLE visits ALTER COLUMN host_id DROP NOT NULL;
