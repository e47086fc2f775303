-- The daily size snapshot (issue 14): a tenant's memories and storage bytes on a day, as its engine last measured
-- them that day; null on a day its engine did not run. Set, never added, so a snapshot recorded twice changes nothing.
ALTER TABLE usage_daily ADD COLUMN memories INTEGER;
ALTER TABLE usage_daily ADD COLUMN storage_bytes INTEGER;
