package dev.engram.cloud.http;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.HashMap;
import java.util.Map;

/**
 * Bounds the large uploads in flight (bodies over {@code http.body_limit_bytes}, or of unknown length, on the routes
 * that take more), from the moment reading starts until the answer is sent, so that their buffers and parsing fit in
 * memory together: at most {@code http.large_uploads_per_tenant} per tenant (beyond: 429) and
 * {@code http.large_uploads_per_node} on the node (beyond: 503), both with {@code Retry-After}. Shared by every HTTP
 * verticle of the node.
 */
public final class UploadSlots {

  /** How long a refused upload is told to wait: uploads hold their slot for seconds, not minutes. */
  private static final long RETRY_AFTER_SECONDS = 5;

  private final long normalLimit;
  private final int perNode;
  private final int perTenant;
  private final Map<String, Integer> byTenant = new HashMap<>();
  private int inFlight;

  public UploadSlots(EngramConfig.Http config) {
    this.normalLimit = config.bodyLimitBytes();
    this.perNode = config.largeUploadsPerNode();
    this.perTenant = config.largeUploadsPerTenant();
  }

  /** Route handler after authentication: takes a slot for a large upload (given back when the answer is sent). */
  void acquire(RoutingContext ctx) {
    if (!Bodies.larger(ctx.request(), normalLimit)) {
      ctx.next();
      return;
    }
    String tenant = Authenticator.principal(ctx).tenantId();
    ApiException refused = take(tenant);
    if (refused != null) {
      ctx.fail(refused);
      return;
    }
    ctx.addEndHandler(done -> give(tenant));
    ctx.next();
  }

  private synchronized ApiException take(String tenant) {
    int ours = byTenant.getOrDefault(tenant, 0);
    if (ours >= perTenant) {
      return refusal(429, "too_many_uploads", "This tenant already has " + perTenant
          + " large uploads in progress; retry when one has finished.");
    }
    if (inFlight >= perNode) {
      return refusal(503, "server_busy", "The server is taking as many large uploads as it can; retry shortly.");
    }
    byTenant.put(tenant, ours + 1);
    inFlight++;
    return null;
  }

  private synchronized void give(String tenant) {
    inFlight--;
    byTenant.computeIfPresent(tenant, (k, n) -> n > 1 ? n - 1 : null);
  }

  private static ApiException refusal(int status, String code, String detail) {
    return new ApiException(status, code, detail, new JsonObject().put(Problems.RETRY_AFTER, RETRY_AFTER_SECONDS));
  }
}
