package dev.engram.cloud.bus;

/** Event-bus addresses (DESIGN.md §3). */
public final class Addresses {

  public static final String AUTH = "engram.auth.resolve";
  public static final String ACCOUNTS = "engram.auth.accounts";
  public static final String QUOTA = "engram.quota.check";
  /** The public routes' limits (sign-up, sign-in) and the sign-in backoff. */
  public static final String QUOTA_PUBLIC = "engram.quota.public";
  public static final String PLAN_CHANGED = "engram.quota.plan-changed";
  public static final String USAGE_QUERY = "engram.metering.query";
  public static final String ENGINE_SUPERVISOR = "engram.engine.supervisor";
  /** A tenant's snapshots ({@code GET /v1/backups}): a tenant id in, a {@code JsonObject} out. */
  public static final String BACKUP_LIST = "engram.backup.list";
  /** Stops a deleted tenant's engine for good and removes its files. */
  public static final String ENGINE_RETIRE = "engram.engine.retire";

  private Addresses() {}

  public static String engine(String tenantId) {
    return "engram.engine." + tenantId;
  }
}
