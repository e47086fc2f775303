package dev.engram.cloud.http;

import dev.engram.cloud.auth.AuthMessages.AccountCommand;
import dev.engram.cloud.auth.AuthMessages.CreateKey;
import dev.engram.cloud.auth.AuthMessages.CreatedKey;
import dev.engram.cloud.auth.AuthMessages.KeyList;
import dev.engram.cloud.auth.AuthMessages.ListKeys;
import dev.engram.cloud.auth.AuthMessages.Login;
import dev.engram.cloud.auth.AuthMessages.RevokeKey;
import dev.engram.cloud.auth.AuthMessages.RotateKey;
import dev.engram.cloud.auth.AuthMessages.RotatedKey;
import dev.engram.cloud.auth.AuthMessages.Signup;
import dev.engram.cloud.auth.AuthMessages.SignupResult;
import dev.engram.cloud.auth.AuthMessages.TokenResult;
import dev.engram.cloud.auth.AuthMessages.TokenSignup;
import dev.engram.cloud.auth.Principal;
import dev.engram.cloud.api.TeamRequests;
import dev.engram.cloud.auth.Scope;
import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.controlplane.ApiKeyRecord;
import dev.engram.cloud.controlplane.UsageDay;
import dev.engram.cloud.model.Workspaces;
import dev.engram.cloud.metering.UsageMessages.UsageQuery;
import dev.engram.cloud.metering.UsageMessages.UsageReport;
import dev.engram.cloud.quota.QuotaMessages.Decision;
import dev.engram.cloud.quota.QuotaMessages.PublicCall;
import dev.engram.cloud.quota.QuotaMessages.PublicCheck;
import dev.engram.cloud.quota.QuotaMessages.PublicLimit;
import dev.engram.cloud.quota.QuotaMessages.SignInAttempt;
import dev.engram.cloud.quota.QuotaMessages.SignInOutcome;
import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** Sign-up, sign-in, API keys and usage. */
final class AccountRoutes {

  private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");
  private static final Pattern KEY_ID = Pattern.compile("key_[a-z0-9]{20}");
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);
  private static final int MAX_USAGE_DAYS = 366;
  /** The default and largest page of {@code GET /v1/api-keys}: a tenant's active keys fit one page by default. */
  private static final int MAX_KEY_PAGE = 100;

  private final EventBus bus;
  private final Origins origins;
  private final EngramConfig.Auth config;

  AccountRoutes(Vertx vertx, Origins origins, EngramConfig.Auth config) {
    this.bus = vertx.eventBus();
    this.origins = origins;
    this.config = config;
  }

  /**
   * {@code POST /v1/signup}: with email and password, or, with {@code Authorization: Bearer <external token>}, with
   * only a tenant name (the user is the token's subject; the email comes from the token when it is verified).
   * {@code tenant_slug} chooses the tenant's slug (409 {@code slug_taken} if taken); without it one is derived from
   * the tenant name.
   */
  void signup(RoutingContext ctx) {
    String authorization = ctx.request().getHeader("Authorization");
    if (authorization != null) {
      tokenSignup(ctx, authorization);
      return;
    }
    JsonObject in = RequestInput.of(ctx);
    for (String required : List.of("email", "password")) {
      if (!in.containsKey(required)) {
        throw new ApiException(400, "missing_field", "Field '" + required + "' is required (or sign up with an "
            + "external token).", new JsonObject().put("pointer", "/" + required));
      }
    }
    String email = email(in);
    String password = in.getString("password");
    String tenantName = in.getString("tenant_name").trim();
    String slug = TeamRequests.tenantSlug(in);
    // Charged per email before anything is looked up, so a taken email and a free one count alike.
    throttle(new PublicCall(PublicLimit.SIGN_UP_PER_ACCOUNT, email), "sign-ups with this email")
        .compose(admitted -> this.<SignupResult>ask(new Signup(email, password, tenantName, slug, origins.of(ctx))))
        .onSuccess(r -> json(ctx, 201, signupJson(r)))
        .onFailure(err -> fail(ctx, err));
  }

  private static JsonObject signupJson(SignupResult r) {
    return new JsonObject().put("tenant_id", r.tenantId()).put("tenant_slug", r.tenantSlug())
        .put("user_id", r.userId()).put("api_key", r.apiKey());
  }

  private void tokenSignup(RoutingContext ctx, String authorization) {
    String[] parts = authorization.trim().split("\\s+");
    if (parts.length != 2 || !parts[0].equalsIgnoreCase("Bearer")) {
      throw ApiException.unauthorized("invalid_credentials", "The Authorization header must be 'Bearer <token>'.");
    }
    JsonObject in = RequestInput.of(ctx);
    for (String name : List.of("email", "password")) {
      if (in.containsKey(name)) {
        throw new ApiException(400, "unknown_field", "Field '" + name + "' is not taken with an external token: the "
            + "token names the user.", new JsonObject().put("pointer", "/" + name));
      }
    }
    String tenantName = in.getString("tenant_name").trim();
    String slug = TeamRequests.tenantSlug(in);
    this.<SignupResult>ask(new TokenSignup(parts[1], tenantName, slug, origins.of(ctx)))
        .onSuccess(r -> json(ctx, 201, signupJson(r)))
        .onFailure(err -> {
          if (ApiException.from(err).status() == 401) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"engram\", error=\"invalid_token\"");
          }
          fail(ctx, err);
        });
  }

  /**
   * {@code POST /v1/auth/token}: refused while the account backs off or is over its limit (the same for an email
   * without an account); the outcome is recorded before the answer goes out, so the next attempt, on any node,
   * sees it. A user who belongs to several tenants names one with {@code X-Engram-Tenant} (id or slug); else the
   * oldest membership is used.
   */
  void token(RoutingContext ctx) {
    JsonObject in = RequestInput.of(ctx);
    String email = in.getString("email").trim().toLowerCase(Locale.ROOT);
    String password = in.getString("password");
    List<String> tenants = Authenticator.namedTenants(ctx.request());
    throttle(new SignInAttempt(email), "sign-in attempts for this account")
        .compose(admitted -> this.<TokenResult>ask(new Login(email, password, tenants, origins.of(ctx))))
        .transform(ar -> {
          Future<TokenResult> answer = ar.succeeded() ? Future.succeededFuture(ar.result())
              : Future.failedFuture(ar.cause());
          boolean checked = ar.succeeded() || "invalid_login".equals(ApiException.from(ar.cause()).code());
          if (!checked) return answer; // refused before the password was checked: nothing to record
          return bus.request(Addresses.QUOTA_PUBLIC, new SignInOutcome(email, ar.succeeded()), LOCAL)
              .transform(recorded -> answer);
        })
        .onSuccess(t -> json(ctx, 200, tokenJson(t)))
        .onFailure(err -> fail(ctx, err));
  }

  static JsonObject tokenJson(TokenResult t) {
    return new JsonObject().put("access_token", t.accessToken()).put("token_type", "Bearer")
        .put("expires_in", t.expiresIn()).put("tenant_id", t.tenantId()).put("tenant_slug", t.tenantSlug())
        .put("user_id", t.userId()).put("role", t.role().value());
  }

  /** One call charged to an account's limit (or refused by its backoff): a 429 with Retry-After when refused. */
  private Future<Void> throttle(PublicCheck check, String what) {
    return bus.<Decision>request(Addresses.QUOTA_PUBLIC, check, LOCAL).map(reply -> {
      Decision d = reply.body();
      if (d.allowed()) return null;
      // No RateLimit-* headers: they would tell anyone how often others try this email.
      throw new ApiException(429, "rate_limited", "Too many " + what + "; retry after " + d.retryAfterSeconds()
          + " second(s).", new JsonObject().put("retry_after", d.retryAfterSeconds()));
    });
  }

  /** Fails the request; a refusal that says when to come back ({@code retry_after}) also gets {@code Retry-After}. */
  private static void fail(RoutingContext ctx, Throwable err) {
    JsonObject extensions = ApiException.from(err).extensions();
    if (extensions != null && extensions.getValue("retry_after") instanceof Number seconds) {
      ctx.response().putHeader("Retry-After", Long.toString(seconds.longValue()));
    }
    ctx.fail(err);
  }

  void createKey(RoutingContext ctx) {
    JsonObject in = RequestInput.of(ctx);
    String name = in.containsKey("name") ? in.getString("name").trim() : "unnamed";
    List<String> scopes = in.containsKey("scopes")
        ? in.getJsonArray("scopes").stream().map(String.class::cast).distinct().toList()
        : List.of(Scope.MEMORIES_READ.value(), Scope.MEMORIES_WRITE.value());
    List<String> workspaces = in.containsKey("workspaces")
        ? in.getJsonArray("workspaces").stream().map(w -> Workspaces.normalize((String) w)).distinct().toList() : null;
    Instant expiresAt = TeamRequests.keyExpiry(in);
    Set<String> callerWorkspaces = Authenticator.principal(ctx).workspaces();
    if (!callerWorkspaces.isEmpty() && (workspaces == null
        || !callerWorkspaces.containsAll(workspaces.stream().map(Workspaces::normalize).toList()))) {
      throw ApiException.forbidden("workspace_restricted", "A key restricted to workspaces " + callerWorkspaces
          + " can only create keys restricted to some of them.");
    }
    if (workspaces != null) {
      // A restriction is stored as one scope per workspace, so both control planes keep it without a new column.
      List<String> restricted = new java.util.ArrayList<>(scopes);
      workspaces.stream().map(Workspaces::normalize).distinct()
          .forEach(w -> restricted.add(Principal.WORKSPACE_SCOPE + w));
      scopes = restricted;
    }
    this.<CreatedKey>ask(new CreateKey(Authenticator.principal(ctx), name, scopes, expiresAt, origins.of(ctx)))
        .onSuccess(created -> json(ctx, 201, keyJson(created.key()).put("key", created.secret())))
        .onFailure(ctx::fail);
  }

  /**
   * {@code GET /v1/api-keys?limit=&cursor=}: oldest first, revoked keys included; a workspace-restricted key sees
   * only keys restricted to some of its workspaces.
   */
  void listKeys(RoutingContext ctx) {
    JsonObject in = RequestInput.of(ctx);
    int limit = in.getInteger("limit", MAX_KEY_PAGE);
    String cursor = in.getString("cursor");
    this.<KeyList>ask(new ListKeys(Authenticator.principal(ctx), limit, cursor == null ? null : keyIdOf(cursor)))
        .onSuccess(list -> {
          JsonArray data = new JsonArray();
          list.keys().forEach(k -> data.add(keyJson(k)));
          json(ctx, 200, new JsonObject().put("data", data)
              .put("next_cursor", list.nextAfter() == null ? null : keyCursor(list.nextAfter())));
        })
        .onFailure(ctx::fail);
  }

  /** A key-list cursor: base64url of {@code key:<id of the last key shown>}. */
  private static String keyCursor(String keyId) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("key:" + keyId).getBytes(StandardCharsets.UTF_8));
  }

  /** The key id in a cursor this API returned; 400 for anything else. */
  private static String keyIdOf(String cursor) {
    try {
      String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      if (text.startsWith("key:") && KEY_ID.matcher(text.substring(4)).matches()) return text.substring(4);
    } catch (IllegalArgumentException ignored) {
      // not base64url: the same answer as any other cursor we did not make
    }
    throw ApiException.badRequest("invalid_cursor", "The cursor is not one this API returned.");
  }

  void revokeKey(RoutingContext ctx) {
    String keyId = RequestInput.of(ctx).getString("id");
    Principal principal = Authenticator.principal(ctx);
    ask(new RevokeKey(principal, keyId, origins.of(ctx)))
        .onSuccess(done -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  /**
   * {@code POST /v1/api-keys/{id}/rotate {overlap_seconds?, expires_in_days?, expires_at?}}: 201 with the new key
   * (its secret shown once) and {@code replaced}: the old key, which keeps working until the overlap ends
   * ({@code auth.rotation_overlap_seconds} by default, at most {@code auth.max_rotation_overlap_seconds}).
   */
  void rotateKey(RoutingContext ctx) {
    TeamRequests.RotateKey request = TeamRequests.rotateKey(RequestInput.of(ctx), config.maxRotationOverlapSeconds());
    int overlap = request.overlapSeconds() != null ? request.overlapSeconds() : config.rotationOverlapSeconds();
    this.<RotatedKey>ask(new RotateKey(Authenticator.principal(ctx), request.keyId(), overlap, request.expiresAt(),
            origins.of(ctx)))
        .onSuccess(r -> json(ctx, 201, keyJson(r.key()).put("key", r.secret()).put("replaced", keyJson(r.replaced()))))
        .onFailure(ctx::fail);
  }

  /**
   * {@code GET /v1/usage?from=&to=}: daily counters, pending ones included; defaults to the last 30 days. A view of
   * the whole tenant, so not for a workspace-restricted key.
   */
  void usage(RoutingContext ctx) {
    Set<String> workspaces = Authenticator.principal(ctx).workspaces();
    if (!workspaces.isEmpty()) {
      throw ApiException.forbidden("workspace_restricted", "This key is restricted to workspaces " + workspaces
          + "; tenant-wide views are not available to it.");
    }
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    JsonObject in = RequestInput.of(ctx);
    LocalDate to = date(in.getString("to"), "to", today);
    LocalDate from = date(in.getString("from"), "from", to.minusDays(29));
    if (from.isAfter(to) || ChronoUnit.DAYS.between(from, to) >= MAX_USAGE_DAYS) {
      throw ApiException.badRequest("invalid_parameter",
          "from must not be after to, and the range must be at most " + MAX_USAGE_DAYS + " days.");
    }
    bus.<UsageReport>request(Addresses.USAGE_QUERY, new UsageQuery(Authenticator.principal(ctx).tenantId(), from, to), LOCAL)
        .map(Message::body)
        .onSuccess(report -> {
          JsonArray data = new JsonArray();
          long calls = 0, created = 0, searches = 0;
          for (UsageDay d : report.days()) {
            data.add(new JsonObject().put("day", d.day().toString()).put("api_calls", d.apiCalls())
                .put("memories_created", d.memoriesCreated()).put("searches", d.searches()));
            calls += d.apiCalls();
            created += d.memoriesCreated();
            searches += d.searches();
          }
          json(ctx, 200, new JsonObject().put("from", from.toString()).put("to", to.toString()).put("data", data)
              .put("totals", new JsonObject().put("api_calls", calls).put("memories_created", created)
                  .put("searches", searches)));
        })
        .onFailure(ctx::fail);
  }

  /** {@code GET /v1/backups}: the tenant's snapshots (a tenant-wide view, so not for a workspace-restricted key). */
  void backups(RoutingContext ctx) {
    Set<String> workspaces = Authenticator.principal(ctx).workspaces();
    if (!workspaces.isEmpty()) {
      throw ApiException.forbidden("workspace_restricted", "This key is restricted to workspaces " + workspaces
          + "; tenant-wide views are not available to it.");
    }
    bus.<JsonObject>request(Addresses.BACKUP_LIST, Authenticator.principal(ctx).tenantId(), LOCAL)
        .onSuccess(reply -> json(ctx, 200, reply.body()))
        .onFailure(ctx::fail);
  }

  private <T> Future<T> ask(AccountCommand command) {
    return bus.<T>request(Addresses.ACCOUNTS, command, LOCAL).map(Message::body);
  }

  private static String email(JsonObject in) {
    String email = in.getString("email").trim().toLowerCase(Locale.ROOT);
    if (!EMAIL.matcher(email).matches()) {
      throw new ApiException(400, "invalid_field", "Field 'email' must be an email address.",
          new JsonObject().put("pointer", "/email"));
    }
    return email;
  }

  private static LocalDate date(String raw, String name, LocalDate fallback) {
    if (raw == null) return fallback;
    try {
      return Timestamps.parseDate(raw);
    } catch (Timestamps.InvalidTimestamp e) {
      throw ApiException.badRequest("invalid_parameter", name + " " + e.getMessage() + ".");
    }
  }

  private static JsonObject keyJson(ApiKeyRecord k) {
    return new JsonObject()
        .put("id", k.id())
        .put("name", k.name())
        .put("prefix", k.prefix())
        .put("scopes", new JsonArray(k.scopes().stream().filter(sc -> !sc.startsWith(Principal.WORKSPACE_SCOPE)).toList()))
        .put("workspaces", new JsonArray(k.scopes().stream().filter(sc -> sc.startsWith(Principal.WORKSPACE_SCOPE))
            .map(sc -> sc.substring(Principal.WORKSPACE_SCOPE.length())).toList()))
        .put("state", k.state(Instant.now()))
        .put("created_at", time(k.createdAt()))
        .put("expires_at", time(k.expiresAt()))
        .put("revoked_at", time(k.revokedAt()))
        .put("last_used_at", time(k.lastUsedAt()))
        .put("rotated_to", k.rotatedTo())
        .put("user_id", k.userId());
  }

  static String time(Instant instant) {
    return instant == null ? null : Timestamps.format(instant);
  }

  static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }
}
