package dev.engram.cloud.controlplane;

import io.vertx.core.json.JsonObject;

/** What one Stripe event makes of a tenant's billing: the account's new state and the plan the tenant is on now. */
public record BillingChange(String eventId, String eventType, BillingAccount account, String tenantPlan) {

  /** The audit entry's details: the event and the state it left. */
  public JsonObject auditDetails() {
    return new JsonObject().put("event", eventId).put("event_type", eventType).put("status", account.status())
        .put("subscription_plan", account.plan()).put("cancel_at_period_end", account.cancelAtPeriodEnd())
        .put("plan", tenantPlan);
  }
}
