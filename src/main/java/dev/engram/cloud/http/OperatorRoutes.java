package dev.engram.cloud.http;

import dev.engram.cloud.api.TeamRequests;
import dev.engram.cloud.auth.AuthMessages.AccountCommand;
import dev.engram.cloud.auth.AuthMessages.OperatorGet;
import dev.engram.cloud.auth.AuthMessages.OperatorList;
import dev.engram.cloud.auth.AuthMessages.OperatorSetPlan;
import dev.engram.cloud.auth.AuthMessages.OperatorSetStatus;
import dev.engram.cloud.auth.AuthMessages.TenantList;
import dev.engram.cloud.auth.AuthMessages.TenantView;
import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.controlplane.Actor;
import dev.engram.cloud.controlplane.TenantRecord;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The platform operator's routes ({@code /v1/operator/...}), for staff, not tenants: authenticated by
 * {@code Authorization: Bearer <ENGRAM_OPERATOR_TOKEN>} (compared in constant time). Without a configured token they do
 * not exist (404), so a server that has no operator shows no operator surface. Every change is audited in the
 * tenant's chain with the actor {@code operator}.
 */
final class OperatorRoutes {

  static final String ACTOR = "operator";
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private final EventBus bus;
  private final Origins origins;
  private final byte[] tokenDigest;

  OperatorRoutes(Vertx vertx, EngramConfig.Operator config, Origins origins) {
    this.bus = vertx.eventBus();
    this.origins = origins;
    this.tokenDigest = config.enabled() ? sha256(config.token()) : null;
  }

  /** The gate in front of every operator route (after a per-address limit on attempts). */
  void authenticate(RoutingContext ctx) {
    if (tokenDigest == null) {
      ctx.fail(ApiException.notFound("No such resource."));
      return;
    }
    String authorization = ctx.request().getHeader("Authorization");
    String[] parts = authorization == null ? new String[0] : authorization.trim().split("\\s+");
    // Digests of equal length, compared in constant time: neither the token nor its length leaks through timing.
    if (parts.length != 2 || !parts[0].equalsIgnoreCase("Bearer")
        || !MessageDigest.isEqual(tokenDigest, sha256(parts[1]))) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"engram-operator\"");
      ctx.fail(ApiException.unauthorized("invalid_operator_token", "Send the operator token as 'Authorization: Bearer "
          + "<ENGRAM_OPERATOR_TOKEN>'."));
      return;
    }
    ctx.next();
  }

  void list(RoutingContext ctx) {
    TeamRequests.OperatorList request = TeamRequests.operatorList(RequestInput.of(ctx));
    this.<TenantList>ask(new OperatorList(request.after(), request.limit()))
        .onSuccess(list -> AccountRoutes.json(ctx, 200, new JsonObject()
            .put("data", new JsonArray(list.page().tenants().stream().map(OperatorRoutes::tenantJson).toList()))
            .put("next_cursor", list.page().nextAfter())))
        .onFailure(ctx::fail);
  }

  void get(RoutingContext ctx) {
    answer(ctx, ask(new OperatorGet(TeamRequests.tenantRef(RequestInput.of(ctx)))));
  }

  void setPlan(RoutingContext ctx) {
    JsonObject in = RequestInput.of(ctx);
    answer(ctx, ask(new OperatorSetPlan(TeamRequests.tenantRef(in), TeamRequests.plan(in), actor(ctx))));
  }

  void suspend(RoutingContext ctx) {
    answer(ctx, ask(new OperatorSetStatus(TeamRequests.tenantRef(RequestInput.of(ctx)), "suspended", actor(ctx))));
  }

  void resume(RoutingContext ctx) {
    answer(ctx, ask(new OperatorSetStatus(TeamRequests.tenantRef(RequestInput.of(ctx)), "active", actor(ctx))));
  }

  private Actor actor(RoutingContext ctx) {
    return origins.of(ctx).as(ACTOR);
  }

  private static void answer(RoutingContext ctx, Future<TenantView> view) {
    view.onSuccess(v -> AccountRoutes.json(ctx, 200, tenantJson(v.tenant()))).onFailure(ctx::fail);
  }

  static JsonObject tenantJson(TenantRecord t) {
    return TeamRoutes.tenantJson(t).put("audit_entries", t.auditSeq());
  }

  private <T> Future<T> ask(AccountCommand command) {
    return bus.<T>request(Addresses.ACCOUNTS, command, LOCAL).map(Message::body);
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
