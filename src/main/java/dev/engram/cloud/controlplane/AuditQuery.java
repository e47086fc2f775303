package dev.engram.cloud.controlplane;

import java.time.Instant;

/**
 * A page of one tenant's audit log: entries with exactly this {@code action} and {@code actor} (null: any), at or
 * after {@code from} and before {@code to} (null: unbounded), newest first (or oldest first), continuing after the
 * entry with id {@code cursor} in that order (null: from the start).
 */
public record AuditQuery(String tenantId, String action, String actor, Instant from, Instant to, Long cursor,
                         int limit, boolean oldestFirst) {

  /** Every entry of the tenant, oldest first, a page at a time. */
  public static AuditQuery chain(String tenantId, Long cursor, int limit) {
    return new AuditQuery(tenantId, null, null, null, null, cursor, limit, true);
  }
}
