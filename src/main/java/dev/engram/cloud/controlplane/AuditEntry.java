package dev.engram.cloud.controlplane;

import io.vertx.core.json.JsonObject;

/**
 * One audit-log entry: who ({@code actor}: a user id, an API key's prefix, {@code operator} or {@code system}) did
 * what ({@code action}, e.g. {@code member.removed}) to which {@code target}, from where (client address, user agent,
 * request id), and with what {@code outcome} ({@code ok}, or {@code failure} for a refused sign-in). {@code details}
 * never holds a secret; absent details are an empty object.
 */
public record AuditEntry(String tenantId, String actor, String action, String target, JsonObject details, String ip,
                         String userAgent, String requestId, String outcome) {

  public static final String OK = "ok";
  public static final String FAILURE = "failure";

  public AuditEntry {
    if (details == null) details = new JsonObject();
    if (outcome == null) outcome = OK;
  }

  public AuditEntry(String tenantId, String actor, String action, String target, JsonObject details) {
    this(tenantId, actor, action, target, details, null, null, null, OK);
  }

  /** A successful change by {@code actor}. */
  public static AuditEntry of(String tenantId, Actor actor, String action, String target, JsonObject details) {
    return new AuditEntry(tenantId, actor.id(), action, target, details, actor.ip(), actor.userAgent(),
        actor.requestId(), OK);
  }

  public AuditEntry withOutcome(String outcome) {
    return new AuditEntry(tenantId, actor, action, target, details, ip, userAgent, requestId, outcome);
  }
}
