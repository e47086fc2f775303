-- Usage folded from a node's spool: one row per spool segment, tenant and day, written in the transaction that adds
-- the same counts to usage_daily. A segment folded again (the node died after the fold committed and before it
-- deleted the segment's file) finds its rows and adds nothing.
CREATE TABLE usage_events (
  segment_id        text NOT NULL,
  tenant_id         text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  day               date NOT NULL,
  api_calls         bigint NOT NULL,
  memories_created  bigint NOT NULL,
  searches          bigint NOT NULL,
  folded_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (segment_id, tenant_id, day)
);
CREATE INDEX usage_events_tenant_idx ON usage_events (tenant_id, day);

ALTER TABLE usage_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_events
  USING (tenant_id = current_setting('engram.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('engram.tenant_id', true));
