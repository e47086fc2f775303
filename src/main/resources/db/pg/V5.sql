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

-- Billing (Stripe): the tenant's customer, created once and reused, and its subscription as Stripe last described
-- it. The tenant's plan itself stays in tenants.plan.
CREATE TABLE billing_accounts (
  tenant_id             text PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  customer_id           text NOT NULL UNIQUE,
  subscription_id       text,
  status                text,
  plan                  text,
  current_period_end    timestamptz,
  cancel_at_period_end  boolean NOT NULL DEFAULT false,
  past_due_since        timestamptz,
  updated_at            timestamptz NOT NULL DEFAULT now()
);

-- Each Stripe event is applied once: a redelivered event finds its id here and changes nothing.
CREATE TABLE billing_events (
  event_id     text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  type         text NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE billing_accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_accounts
  USING (tenant_id = current_setting('engram.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('engram.tenant_id', true));

ALTER TABLE billing_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_events
  USING (tenant_id = current_setting('engram.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('engram.tenant_id', true));

-- Overage reported to Stripe Billing Meters per tenant, UTC month and metric: `reported` is what Stripe accepted; a
-- `pending` report is claimed here (its identifier fixed) before it is sent, and sent again with the same identifier
-- after a crash, so Stripe counts it once.
CREATE TABLE meter_reports (
  tenant_id           text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  month               text NOT NULL,
  metric              text NOT NULL,
  reported            bigint NOT NULL DEFAULT 0,
  pending             bigint,
  pending_identifier  text,
  PRIMARY KEY (tenant_id, month, metric)
);
ALTER TABLE meter_reports ENABLE ROW LEVEL SECURITY;
ALTER TABLE meter_reports FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON meter_reports
  USING (tenant_id = current_setting('engram.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('engram.tenant_id', true));

-- The overage report runs across tenants: the paying subscriptions, read by the owner through this function only.
DO $$
BEGIN
  EXECUTE format('CREATE POLICY definer_lookup ON billing_accounts FOR SELECT TO %I USING (true)', current_user);
END
$$;

CREATE FUNCTION paying_billing_accounts()
RETURNS TABLE (tenant_id text, customer_id text, subscription_id text, status text, plan text,
               current_period_end timestamptz, cancel_at_period_end boolean, past_due_since timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = engram, pg_temp
AS $$
  SELECT b.tenant_id, b.customer_id, b.subscription_id, b.status, b.plan, b.current_period_end,
         b.cancel_at_period_end, b.past_due_since
  FROM billing_accounts b
  WHERE b.status IN ('active', 'trialing', 'past_due') AND b.plan IS NOT NULL
  ORDER BY b.tenant_id
$$;
