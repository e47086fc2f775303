-- Usage folded from a node's spool: one row per spool segment, tenant and day, written in the transaction that adds
-- the same counts to usage_daily. A segment folded again (the node died after the fold committed and before it
-- deleted the segment's file) finds its rows and adds nothing.
CREATE TABLE usage_events (
  segment_id        TEXT NOT NULL,
  tenant_id         TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  day               TEXT NOT NULL,
  api_calls         INTEGER NOT NULL,
  memories_created  INTEGER NOT NULL,
  searches          INTEGER NOT NULL,
  folded_at         TEXT NOT NULL,
  PRIMARY KEY (segment_id, tenant_id, day)
);
CREATE INDEX idx_usage_events_tenant ON usage_events(tenant_id, day);
