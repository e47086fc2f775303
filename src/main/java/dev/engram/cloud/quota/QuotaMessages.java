package dev.engram.cloud.quota;

import dev.engram.cloud.bus.LocalMessage;
import dev.engram.cloud.config.EngramConfig.Plan;

/** Requests and replies of {@code engram.quota.check}. */
public final class QuotaMessages {

  private QuotaMessages() {}

  /** What a request counts as, for the monthly plan caps. */
  public enum Usage {
    /** An authenticated API call. */
    CALL,
    /** An authenticated search (also an API call). */
    SEARCH,
    /**
     * An authenticated call that changes the tenant's memories (also an API call): refused while the tenant is
     * read-only because its payment is past due beyond the grace period.
     */
    WRITE
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

  /** The limits of the public routes ({@code auth.throttle}), by what they count. */
  public enum PublicLimit {
    SIGN_IN_PER_ADDRESS, SIGN_IN_PER_ACCOUNT, SIGN_UP_PER_ADDRESS, SIGN_UP_PER_ACCOUNT
  }

  /** Requests of {@code engram.quota.public}; each is answered with a {@link Decision} (no plan). */
  public sealed interface PublicCheck extends LocalMessage permits PublicCall, SignInAttempt, SignInOutcome {}

  /**
   * One call of a public route charged to {@code subject} under {@code limit}: a client address group (see
   * {@link ClientAddress}) or an account (an email, lower case, or an external subject).
   */
  public record PublicCall(PublicLimit limit, String subject) implements PublicCheck {}

  /**
   * Before a password is checked: refused while the account backs off after failures, else charged to the
   * account's sign-in limit. The same for an email with or without an account.
   */
  public record SignInAttempt(String account) implements PublicCheck {}

  /** After a password was checked: a failure lengthens the account's backoff, a success clears it. */
  public record SignInOutcome(String account, boolean succeeded) implements PublicCheck {}

  /** Tells the quota verticle a tenant's plan changed, so it stops using the cached one. */
  public record PlanChanged(String tenantId) implements LocalMessage {}
}
