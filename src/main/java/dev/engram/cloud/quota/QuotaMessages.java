package dev.engram.cloud.quota;

import dev.engram.cloud.bus.LocalMessage;

/** Requests and replies of {@code engram.quota.check}. */
public final class QuotaMessages {

  private QuotaMessages() {}

  /** One request by {@code subject} (a key or user) of {@code tenantId}. */
  public record Check(String tenantId, String subject) implements LocalMessage {}

  /**
   * The verdict and the numbers for the {@code RateLimit-*} headers, taken from whichever bucket (key or tenant)
   * is closer to empty.
   */
  public record Decision(boolean allowed, long limit, long remaining, long resetSeconds, long retryAfterSeconds)
      implements LocalMessage {}
}
