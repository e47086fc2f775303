package dev.engram.cloud.quota;

import dev.engram.cloud.bus.LocalMessage;
import dev.engram.cloud.config.EngramConfig.Plan;

/** Requests and replies of {@code engram.quota.check}. */
public final class QuotaMessages {

  private QuotaMessages() {}

  /** What a request counts as, for the monthly plan caps. */
  public enum Usage {
    /** A public route (sign-up, sign-in): rate-limited by client address, no plan. */
    ANONYMOUS,
    /** An authenticated API call. */
    CALL,
    /** An authenticated search (also an API call). */
    SEARCH
  }

  /** One request by {@code subject} (a key or user) of {@code tenantId}. */
  public record Check(String tenantId, String subject, Usage usage) implements LocalMessage {}

  /**
   * The verdict and the numbers for the {@code RateLimit-*} headers, taken from whichever limit (key or tenant)
   * is closer to empty; and the tenant's plan (null for anonymous checks), so routes can hand its caps to the engine.
   * A request over a plan cap gets a 402 failure instead of a decision.
   */
  public record Decision(boolean allowed, long limit, long remaining, long resetSeconds, long retryAfterSeconds,
                         Plan plan) implements LocalMessage {

    Decision withPlan(Plan plan) {
      return new Decision(allowed, limit, remaining, resetSeconds, retryAfterSeconds, plan);
    }
  }

  /** Tells the quota verticle a tenant's plan changed, so it stops using the cached one. */
  public record PlanChanged(String tenantId) implements LocalMessage {}
}
