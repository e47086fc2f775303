package dev.engram.cloud.http;

import dev.engram.cloud.auth.AuthMessages.Resolve;
import dev.engram.cloud.auth.Permission;
import dev.engram.cloud.auth.Permissions;
import dev.engram.cloud.auth.Principal;
import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig.Plan;
import dev.engram.cloud.metering.UsageSpool;
import dev.engram.cloud.observability.RequestContext;
import dev.engram.cloud.quota.ClientAddress;
import dev.engram.cloud.quota.QuotaMessages.Check;
import dev.engram.cloud.quota.QuotaMessages.Decision;
import dev.engram.cloud.quota.QuotaMessages.PublicCall;
import dev.engram.cloud.quota.QuotaMessages.PublicLimit;
import dev.engram.cloud.quota.QuotaMessages.Usage;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;

/**
 * The gate in front of every tenant route, from the headers alone (the body is not read yet): credential →
 * principal (auth verticle) → rate limit and monthly plan caps (quota verticle); then, as the response headers go out,
 * one line in the usage spool with every call admitted for the request and what it created and searched. REST admits
 * a request as one call; MCP identifies the caller here and admits each JSON-RPC message itself through
 * {@link #admit}.
 */
final class Authenticator implements Handler<RoutingContext> {

  static final String PRINCIPAL = "principal";
  static final String PLAN = "plan";
  /**
   * Headers that name a tenant by id or slug (Engram's SDKs send {@code X-Tenant-Slug}): each must name the
   * credential's tenant, or for a user's token pick one the user belongs to; they never widen what it may reach.
   */
  static final List<String> TENANT_HEADERS = List.of("X-Engram-Tenant", "X-Tenant-Slug");
  static final String CREATED = "usage.memories_created";
  static final String SEARCHED = "usage.searches";
  static final String CALLS = "usage.api_calls";
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private final EventBus bus;
  private final UsageSpool spool;
  private final Usage usage;

  Authenticator(Vertx vertx, UsageSpool spool) {
    this(vertx.eventBus(), spool, Usage.CALL);
  }

  private Authenticator(EventBus bus, UsageSpool spool, Usage usage) {
    this.bus = bus;
    this.spool = spool;
    this.usage = usage;
  }

  /** The gate for search routes: the request also counts against the plan's monthly searches. */
  Authenticator searching() {
    return new Authenticator(bus, spool, Usage.SEARCH);
  }

  static Principal principal(RoutingContext ctx) {
    return ctx.get(PRINCIPAL);
  }

  /** The caller's plan, as the quota check found it. */
  static Plan plan(RoutingContext ctx) {
    return ctx.get(PLAN);
  }

  /** A handler that lets the request through only when the principal may run an operation needing {@code permission}. */
  static Handler<RoutingContext> require(Permission permission) {
    return ctx -> {
      Permissions.check(principal(ctx), permission);
      ctx.next();
    };
  }

  /** Identifies the caller, then admits the request as one call. */
  @Override
  public void handle(RoutingContext ctx) {
    identify(ctx).compose(principal -> admit(ctx, usage)).onSuccess(d -> ctx.next()).onFailure(ctx::fail);
  }

  /** Identifies the caller only: the route admits what it runs with {@link #admit} (MCP, message by message). */
  void identifyOnly(RoutingContext ctx) {
    identify(ctx).onSuccess(principal -> ctx.next()).onFailure(ctx::fail);
  }

  /** Credential → principal, kept on the context; the usage is spooled as the response headers go out. */
  private Future<Principal> identify(RoutingContext ctx) {
    String credential;
    try {
      credential = credential(ctx.request());
    } catch (ApiException e) {
      if (e.status() == 401) ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"engram\"");
      return Future.failedFuture(e);
    }
    return bus.<Principal>request(Addresses.AUTH, new Resolve(credential, namedTenants(ctx.request())), LOCAL)
        .map(Message::body)
        .onSuccess(principal -> {
          ctx.put(PRINCIPAL, principal);
          RequestContext.tenant(principal.tenantId());
          // Spooled as the response headers go out: a reply the client can see implies its usage is in the spool.
          ctx.addHeadersEndHandler(done -> {
            int calls = ctx.get(CALLS, 0);
            if (calls > 0) {
              spool.append(principal.tenantId(), RequestIds.get(ctx), calls, ctx.<Integer>get(CREATED, 0),
                  ctx.<Integer>get(SEARCHED, 0));
            }
          });
        })
        .recover(err -> {
          if (ApiException.from(err).status() == 401) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"engram\", error=\"invalid_token\"");
          }
          return Future.failedFuture(err);
        });
  }

  /**
   * Admits one call of the identified caller against its rate limit and plan caps, and counts it for metering. Fails
   * with 429 (its problem carries {@code retry_after}) or 402; the {@code RateLimit-*} headers show the
   * latest decision.
   */
  Future<Decision> admit(RoutingContext ctx, Usage usage) {
    Principal principal = principal(ctx);
    return bus.<Decision>request(Addresses.QUOTA, new Check(principal.tenantId(), principal.subject(), usage), LOCAL)
        .map(reply -> {
          Decision d = reply.body();
          ctx.put(PLAN, d.plan());
          rateLimitHeaders(ctx.response(), d);
          ctx.put(CALLS, ctx.<Integer>get(CALLS, 0) + 1);
          return d;
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
          .map(reply -> rateLimitHeaders(ctx.response(), reply.body()))
          .onSuccess(ignored -> ctx.next())
          .onFailure(ctx::fail);
    };
  }

  /** Sets the {@code RateLimit-*} headers; a refusal is a 429 whose problem names the wait (Retry-After). */
  private static Decision rateLimitHeaders(HttpServerResponse response, Decision d) {
    response.putHeader("RateLimit-Limit", Long.toString(d.limit()))
        .putHeader("RateLimit-Remaining", Long.toString(d.remaining()))
        .putHeader("RateLimit-Reset", Long.toString(d.resetSeconds()));
    if (!d.allowed()) throw rateLimited(d.retryAfterSeconds());
    return d;
  }

  /** 429; the problem's {@code retry_after} becomes the {@code Retry-After} header (see {@link Problems}). */
  static ApiException rateLimited(long retryAfterSeconds) {
    return new ApiException(429, "rate_limited", "Too many requests; retry after " + retryAfterSeconds + " second(s).",
        new JsonObject().put(Problems.RETRY_AFTER, retryAfterSeconds));
  }

  /** The tenants the request's headers name, trimmed, blank ones left out. */
  static List<String> namedTenants(HttpServerRequest request) {
    List<String> named = new ArrayList<>();
    for (String header : TENANT_HEADERS) {
      String value = request.getHeader(header);
      if (value != null && !value.isBlank()) named.add(value.trim());
    }
    return named;
  }

  /** {@code Authorization: Bearer <key or token>} or {@code X-API-Key: <key>}, not both. */
  static String credential(HttpServerRequest request) {
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

  static void countSearches(RoutingContext ctx, int n) {
    ctx.put(SEARCHED, n);
  }
}
