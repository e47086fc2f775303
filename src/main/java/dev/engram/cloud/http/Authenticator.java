package dev.engram.cloud.http;

import dev.engram.cloud.auth.AuthMessages.Resolve;
import dev.engram.cloud.auth.Principal;
import dev.engram.cloud.auth.Scope;
import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig.Plan;
import dev.engram.cloud.metering.UsageMessages.UsageEvent;
import dev.engram.cloud.quota.ClientAddress;
import dev.engram.cloud.quota.QuotaMessages.Check;
import dev.engram.cloud.quota.QuotaMessages.Decision;
import dev.engram.cloud.quota.QuotaMessages.PublicCall;
import dev.engram.cloud.quota.QuotaMessages.PublicLimit;
import dev.engram.cloud.quota.QuotaMessages.Usage;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;

/**
 * The gate in front of every tenant route: credential → principal (auth verticle) → rate limit and monthly plan
 * caps (quota verticle), then, once the response is sent, one usage event for metering.
 */
final class Authenticator implements Handler<RoutingContext> {

  static final String PRINCIPAL = "principal";
  static final String PLAN = "plan";
  /** Picks one of an external user's tenants; never widens what the credential may reach. */
  static final String TENANT_HEADER = "X-Engram-Tenant";
  static final String CREATED = "usage.memories_created";
  static final String SEARCHED = "usage.searches";
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private final EventBus bus;
  private final Usage usage;

  Authenticator(Vertx vertx) {
    this(vertx.eventBus(), Usage.CALL);
  }

  private Authenticator(EventBus bus, Usage usage) {
    this.bus = bus;
    this.usage = usage;
  }

  /** The gate for search routes: the request also counts against the plan's monthly searches. */
  Authenticator searching() {
    return new Authenticator(bus, Usage.SEARCH);
  }

  static Principal principal(RoutingContext ctx) {
    return ctx.get(PRINCIPAL);
  }

  /** The caller's plan, as the quota check found it. */
  static Plan plan(RoutingContext ctx) {
    return ctx.get(PLAN);
  }

  /** A handler that lets the request through only when the principal holds {@code scope}. */
  static Handler<RoutingContext> require(Scope scope) {
    return ctx -> {
      if (principal(ctx).has(scope)) {
        ctx.next();
      } else {
        ctx.fail(ApiException.forbidden("insufficient_scope", "This credential lacks the '" + scope.value() + "' scope."));
      }
    };
  }

  @Override
  public void handle(RoutingContext ctx) {
    String credential;
    try {
      credential = credential(ctx.request());
    } catch (ApiException e) {
      if (e.status() == 401) ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"engram\"");
      ctx.fail(e);
      return;
    }
    String tenant = ctx.request().getHeader(TENANT_HEADER);
    bus.<Principal>request(Addresses.AUTH, new Resolve(credential, tenant), LOCAL)
        .map(Message::body)
        .compose(principal -> bus.<Decision>request(Addresses.QUOTA,
                new Check(principal.tenantId(), principal.subject(), usage), LOCAL)
            .map(reply -> {
              ctx.put(PLAN, reply.body().plan());
              return admit(ctx.response(), reply.body(), principal);
            }))
        .onSuccess(principal -> {
          ctx.put(PRINCIPAL, principal);
          // Published as the response headers go out, so the event is queued before the client can see the reply.
          ctx.addHeadersEndHandler(done -> bus.publish(Addresses.USAGE, new UsageEvent(principal.tenantId(), 1,
              ctx.<Integer>get(CREATED, 0), ctx.<Integer>get(SEARCHED, 0)), LOCAL));
          ctx.next();
        })
        .onFailure(err -> {
          if (ApiException.from(err).status() == 401) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"engram\", error=\"invalid_token\"");
          }
          ctx.fail(err);
        });
  }

  /**
   * The per-address limit of a public route (sign-up or sign-in, {@code auth.throttle}), far below the API's: each
   * call costs a deliberately slow password hash. IPv6 clients are limited by their /64; behind trusted proxies,
   * by the address they forward.
   */
  Handler<RoutingContext> throttleAnonymous(PublicLimit limit, ClientAddress clients) {
    return ctx -> {
      SocketAddress remote = ctx.request().remoteAddress();
      String client = clients.group(remote == null ? null : remote.hostAddress(),
          ctx.request().headers().getAll("X-Forwarded-For"));
      bus.<Decision>request(Addresses.QUOTA_PUBLIC, new PublicCall(limit, client), LOCAL)
          .map(reply -> admit(ctx.response(), reply.body(), null))
          .onSuccess(ignored -> ctx.next())
          .onFailure(ctx::fail);
    };
  }

  private static Principal admit(HttpServerResponse response, Decision d, Principal principal) {
    response.putHeader("RateLimit-Limit", Long.toString(d.limit()))
        .putHeader("RateLimit-Remaining", Long.toString(d.remaining()))
        .putHeader("RateLimit-Reset", Long.toString(d.resetSeconds()));
    if (!d.allowed()) {
      response.putHeader("Retry-After", Long.toString(d.retryAfterSeconds()));
      throw new ApiException(429, "rate_limited",
          "Too many requests; retry after " + d.retryAfterSeconds() + " second(s).");
    }
    return principal;
  }

  /** {@code Authorization: Bearer <key or token>} or {@code X-API-Key: <key>}, not both. */
  private static String credential(HttpServerRequest request) {
    String authorization = request.getHeader("Authorization");
    String apiKey = request.getHeader("X-API-Key");
    if (authorization != null && apiKey != null) {
      throw ApiException.badRequest("ambiguous_credentials", "Send either Authorization or X-API-Key, not both.");
    }
    if (apiKey != null) {
      if (apiKey.isBlank()) throw ApiException.unauthorized("missing_credentials", "X-API-Key is empty.");
      return apiKey.trim();
    }
    if (authorization == null) {
      throw ApiException.unauthorized("missing_credentials",
          "Send an API key or access token as 'Authorization: Bearer <key>'.");
    }
    String[] parts = authorization.trim().split("\\s+");
    if (parts.length != 2 || !parts[0].equalsIgnoreCase("Bearer")) {
      throw ApiException.unauthorized("invalid_credentials", "The Authorization header must be 'Bearer <key or token>'.");
    }
    return parts[1];
  }

  /** Lets metering count what a route did, once it did it. */
  static void countCreated(RoutingContext ctx, int n) {
    ctx.put(CREATED, n);
  }

  static void countSearch(RoutingContext ctx) {
    ctx.put(SEARCHED, 1);
  }
}
