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

-- Billing (Stripe): the tenant's customer, created once and reused, and its subscription as Stripe last described
-- it. The tenant's plan itself stays in tenants.plan.
CREATE TABLE billing_accounts (
  tenant_id             TEXT PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  customer_id           TEXT NOT NULL UNIQUE,
  subscription_id       TEXT,
  status                TEXT,
  plan                  TEXT,
  current_period_end    TEXT,
  cancel_at_period_end  INTEGER NOT NULL DEFAULT 0,
  past_due_since        TEXT,
  updated_at            TEXT NOT NULL
);

-- Each Stripe event is applied once: a redelivered event finds its id here and changes nothing.
CREATE TABLE billing_events (
  event_id     TEXT PRIMARY KEY,
  tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  type         TEXT NOT NULL,
  received_at  TEXT NOT NULL
);

-- Overage reported to Stripe Billing Meters per tenant, UTC month and metric: `reported` is what Stripe accepted; a
-- `pending` report is claimed here (its identifier fixed) before it is sent, and sent again with the same identifier
-- after a crash, so Stripe counts it once.
CREATE TABLE meter_reports (
  tenant_id           TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  month               TEXT NOT NULL,
  metric              TEXT NOT NULL,
  reported            INTEGER NOT NULL DEFAULT 0,
  pending             INTEGER,
  pending_identifier  TEXT,
  PRIMARY KEY (tenant_id, month, metric)
);
