package dev.engram.cloud.http;

import dev.engram.cloud.api.TeamRequests;
import dev.engram.cloud.auth.Principal;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.controlplane.AuditEntry;
import dev.engram.cloud.controlplane.AuditPage;
import dev.engram.cloud.controlplane.AuditQuery;
import dev.engram.cloud.controlplane.AuditRecord;
import dev.engram.cloud.controlplane.ControlPlane;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tenant's audit log: a page at a time, newest first ({@code GET /v1/audit-log}), or all of it, oldest first, as
 * JSON Lines streamed page by page ({@code GET /v1/audit-log/export}, itself audited). Also records the sensitive
 * reads and bulk writes other routes make ({@link #record}).
 */
final class AuditRoutes {

  private static final Logger log = LoggerFactory.getLogger(AuditRoutes.class);
  private static final int EXPORT_PAGE = 500;

  private final ControlPlane controlPlane;
  private final Origins origins;

  AuditRoutes(ControlPlane controlPlane, Origins origins) {
    this.controlPlane = controlPlane;
    this.origins = origins;
  }

  void list(RoutingContext ctx) {
    TeamRequests.AuditQuery q = TeamRequests.auditQuery(RequestInput.of(ctx));
    Principal principal = tenantWide(ctx);
    controlPlane.auditPage(new AuditQuery(principal.tenantId(), q.action(), q.actor(), q.since(), q.until(), q.cursor(),
            q.limit(), false))
        .onSuccess(page -> {
          JsonArray data = new JsonArray();
          page.entries().forEach(e -> data.add(entryJson(e)));
          AccountRoutes.json(ctx, 200, new JsonObject().put("data", data)
              .put("next_cursor", page.next() == null ? null : TeamRequests.auditCursor(page.next())));
        })
        .onFailure(ctx::fail);
  }

  /** Streams every matching entry as one JSON object per line; the next page is read once the last one is taken. */
  void export(RoutingContext ctx) {
    TeamRequests.AuditQuery q = TeamRequests.auditQuery(RequestInput.of(ctx));
    Principal principal = tenantWide(ctx);
    AuditQuery first = new AuditQuery(principal.tenantId(), q.action(), q.actor(), q.since(), q.until(), null,
        EXPORT_PAGE, true);
    // Audited before the first byte: an export that starts is on record, however it ends.
    controlPlane.audit(AuditEntry.of(principal.tenantId(), origins.ofCaller(ctx), "audit_log.exported",
            principal.tenantId(), filters(q)))
        .compose(v -> controlPlane.auditPage(first))
        .onSuccess(page -> {
          ctx.response().setChunked(true).putHeader("Content-Type", "application/x-ndjson")
              .putHeader("Content-Disposition", "attachment; filename=\"engram-audit-log.jsonl\"");
          write(ctx.response(), first, page);
        })
        .onFailure(ctx::fail);
  }

  private void write(HttpServerResponse response, AuditQuery query, AuditPage page) {
    Buffer chunk = Buffer.buffer();
    page.entries().forEach(e -> chunk.appendString(entryJson(e).encode()).appendString("\n"));
    if (page.next() == null) {
      response.end(chunk);
      return;
    }
    response.write(chunk);
    AuditQuery next = new AuditQuery(query.tenantId(), query.action(), query.actor(), query.from(), query.to(),
        page.next(), query.limit(), true);
    Runnable fetch = () -> {
      if (response.closed()) return;
      controlPlane.auditPage(next).onSuccess(p -> write(response, next, p)).onFailure(err -> {
        log.warn("audit export of tenant {} failed: {}", query.tenantId(), err.toString());
        response.reset();
      });
    };
    if (response.writeQueueFull()) {
      response.drainHandler(v -> {
        response.drainHandler(null);
        fetch.run();
      });
    } else {
      fetch.run();
    }
  }

  private static JsonObject filters(TeamRequests.AuditQuery q) {
    JsonObject filters = new JsonObject();
    if (q.action() != null) filters.put("action", q.action());
    if (q.actor() != null) filters.put("actor", q.actor());
    if (q.since() != null) filters.put("since", AccountRoutes.time(q.since()));
    if (q.until() != null) filters.put("until", AccountRoutes.time(q.until()));
    return filters;
  }

  private static Principal tenantWide(RoutingContext ctx) {
    Principal principal = Authenticator.principal(ctx);
    if (!principal.workspaces().isEmpty()) {
      throw ApiException.forbidden("workspace_restricted", "This credential is restricted to workspaces "
          + principal.workspaces() + "; the audit log is not available to it.");
    }
    return principal;
  }

  static JsonObject entryJson(AuditRecord r) {
    AuditEntry e = r.entry();
    return new JsonObject().put("id", r.id()).put("at", AccountRoutes.time(r.at())).put("actor", e.actor())
        .put("action", e.action()).put("target", e.target()).put("ip", e.ip()).put("user_agent", e.userAgent())
        .put("request_id", e.requestId()).put("outcome", e.outcome()).put("details", e.details())
        .put("seq", r.seq()).put("prev_hash", r.prevHash()).put("hash", r.hash());
  }

  /**
   * Appends an entry for an operation the caller completed (an export or an import), once its answer is sent: the
   * outcome is known then. A failure to append is logged; the answer has gone out.
   */
  void record(RoutingContext ctx, String action, JsonObject details) {
    Principal principal = Authenticator.principal(ctx);
    if (principal == null || ctx.response().getStatusCode() >= 400) return;
    controlPlane.audit(AuditEntry.of(principal.tenantId(), origins.ofCaller(ctx), action, principal.tenantId(),
            details))
        .onFailure(err -> log.warn("could not audit {} of tenant {}: {}", action, principal.tenantId(), err.toString()));
  }
}
