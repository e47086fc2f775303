package dev.engram.cloud.controlplane;

import io.vertx.core.json.JsonObject;

/** One audit-log line: who did what to which target. */
public record AuditEntry(String tenantId, String actor, String action, String target, JsonObject details) {}
