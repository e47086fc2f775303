package dev.engram.cloud.quota;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig.Plan;
import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * What a tenant may do: its plan, and when its subscription is past due, since when and from when it is read-only
 * ({@code billing.past_due_grace_days} after the first failed payment). Read-only refuses every write, on REST and
 * MCP alike, since both admit their calls here; reads, exports and billing keep working, nothing is deleted, and a
 * paid invoice lifts it at once (the webhook's plan change reloads these terms).
 */
record TenantTerms(Plan plan, Instant pastDueSince, Instant readOnlyFrom) {

  /** 402 {@code payment_past_due} once the grace period is over; the problem names the way out (the portal). */
  void checkWritable() {
    if (readOnlyFrom == null || Instant.now().isBefore(readOnlyFrom)) return;
    throw new ApiException(402, "payment_past_due", "This tenant's payment is past due since " + pastDueSince
        + " and the grace period ended at " + readOnlyFrom + ", so it is read-only: reads and exports still work, "
        + "nothing is deleted. The owner can pay the open invoice or update the payment method in the billing portal "
        + "(POST /v1/billing/portal); writes work again as soon as it is paid.",
        new JsonObject().put("past_due_since", pastDueSince.toString()).put("read_only_from", readOnlyFrom.toString())
            .put("portal", "/v1/billing/portal"));
  }
}
