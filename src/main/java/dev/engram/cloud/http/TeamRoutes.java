package dev.engram.cloud.http;

import dev.engram.cloud.api.TeamRequests;
import dev.engram.cloud.auth.AuthMessages.AcceptInvite;
import dev.engram.cloud.auth.AuthMessages.Accepted;
import dev.engram.cloud.auth.AuthMessages.AccountCommand;
import dev.engram.cloud.auth.AuthMessages.ChangeMember;
import dev.engram.cloud.auth.AuthMessages.ChangePassword;
import dev.engram.cloud.auth.AuthMessages.CreateInvite;
import dev.engram.cloud.auth.AuthMessages.CreatedInvite;
import dev.engram.cloud.auth.AuthMessages.DeleteTenant;
import dev.engram.cloud.auth.AuthMessages.GetTenant;
import dev.engram.cloud.auth.AuthMessages.InviteList;
import dev.engram.cloud.auth.AuthMessages.ListInvites;
import dev.engram.cloud.auth.AuthMessages.ListMembers;
import dev.engram.cloud.auth.AuthMessages.Me;
import dev.engram.cloud.auth.AuthMessages.MeView;
import dev.engram.cloud.auth.AuthMessages.MemberList;
import dev.engram.cloud.auth.AuthMessages.RemoveMember;
import dev.engram.cloud.auth.AuthMessages.RevokeInvite;
import dev.engram.cloud.auth.AuthMessages.TenantView;
import dev.engram.cloud.auth.AuthMessages.TokenResult;
import dev.engram.cloud.auth.AuthMessages.TransferOwnership;
import dev.engram.cloud.auth.AuthMessages.UpdateTenant;
import dev.engram.cloud.auth.Principal;
import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.controlplane.InviteRecord;
import dev.engram.cloud.controlplane.Member;
import dev.engram.cloud.controlplane.Membership;
import dev.engram.cloud.controlplane.TenantRecord;
import dev.engram.cloud.quota.QuotaMessages.Decision;
import dev.engram.cloud.quota.QuotaMessages.PublicCall;
import dev.engram.cloud.quota.QuotaMessages.PublicLimit;
import dev.engram.cloud.bus.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;

/** Members, invites, the tenant ({@code /v1/tenant}) and the signed-in user ({@code /v1/me}). */
final class TeamRoutes {

  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private final EventBus bus;
  private final Origins origins;

  TeamRoutes(Vertx vertx, Origins origins) {
    this.bus = vertx.eventBus();
    this.origins = origins;
  }

  // ---- members ----

  void listMembers(RoutingContext ctx) {
    this.<MemberList>ask(new ListMembers(Authenticator.principal(ctx)))
        .onSuccess(list -> AccountRoutes.json(ctx, 200, new JsonObject().put("data",
            new JsonArray(list.members().stream().map(TeamRoutes::memberJson).toList()))))
        .onFailure(ctx::fail);
  }

  void changeMember(RoutingContext ctx) {
    TeamRequests.ChangeMember request = TeamRequests.changeMember(RequestInput.of(ctx));
    this.<MemberList>ask(new ChangeMember(Authenticator.principal(ctx), request.userId(), request.role(),
            request.workspaces(),
            origins.of(ctx)))
        .onSuccess(list -> AccountRoutes.json(ctx, 200, memberJson(list.members().get(0))))
        .onFailure(ctx::fail);
  }

  void removeMember(RoutingContext ctx) {
    String userId = RequestInput.of(ctx).getString("user_id");
    ask(new RemoveMember(Authenticator.principal(ctx), userId, origins.of(ctx)))
        .onSuccess(done -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  void transfer(RoutingContext ctx) {
    String userId = TeamRequests.transfer(RequestInput.of(ctx));
    ask(new TransferOwnership(Authenticator.principal(ctx), userId, origins.of(ctx)))
        .onSuccess(done -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  static JsonObject memberJson(Member m) {
    return new JsonObject().put("user_id", m.userId()).put("email", m.email()).put("role", m.role())
        .put("workspaces", new JsonArray(m.workspaces())).put("joined_at", AccountRoutes.time(m.joinedAt()));
  }

  // ---- invites ----

  /** The token is shown once, here: hand it to the invitee (no mail is sent). */
  void createInvite(RoutingContext ctx) {
    TeamRequests.CreateInvite request = TeamRequests.createInvite(RequestInput.of(ctx));
    this.<CreatedInvite>ask(new CreateInvite(Authenticator.principal(ctx), request.email(), request.role(),
            request.workspaces(), origins.of(ctx)))
        .onSuccess(created -> AccountRoutes.json(ctx, 201, inviteJson(created.invite())
            .put("token", created.token())))
        .onFailure(ctx::fail);
  }

  void listInvites(RoutingContext ctx) {
    this.<InviteList>ask(new ListInvites(Authenticator.principal(ctx)))
        .onSuccess(list -> AccountRoutes.json(ctx, 200, new JsonObject().put("data",
            new JsonArray(list.invites().stream().map(TeamRoutes::inviteJson).toList()))))
        .onFailure(ctx::fail);
  }

  void revokeInvite(RoutingContext ctx) {
    String inviteId = RequestInput.of(ctx).getString("id");
    ask(new RevokeInvite(Authenticator.principal(ctx), inviteId, origins.of(ctx)))
        .onSuccess(done -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  /**
   * {@code POST /v1/invites/accept}: public, limited like a sign-up per client address and per email (it may check a
   * password or make an account).
   */
  void acceptInvite(RoutingContext ctx) {
    String credential = ctx.request().getHeader("Authorization") == null && ctx.request().getHeader("X-API-Key") == null
        ? null : Authenticator.credential(ctx.request());
    TeamRequests.AcceptInvite request = TeamRequests.acceptInvite(RequestInput.of(ctx), credential != null);
    Future<Void> throttled = request.email() == null ? Future.succeededFuture()
        : bus.<Decision>request(Addresses.QUOTA_PUBLIC, new PublicCall(PublicLimit.SIGN_UP_PER_ACCOUNT,
            request.email()), LOCAL).map(reply -> {
              Decision d = reply.body();
              if (d.allowed()) return null;
              throw new ApiException(429, "rate_limited", "Too many attempts with this email; retry after "
                  + d.retryAfterSeconds() + " second(s).", new JsonObject().put("retry_after", d.retryAfterSeconds()));
            });
    throttled.compose(v -> this.<Accepted>ask(new AcceptInvite(request.token(), credential, request.email(),
            request.password(), origins.of(ctx))))
        .onSuccess(a -> AccountRoutes.json(ctx, 200, new JsonObject().put("tenant_id", a.tenantId())
            .put("tenant_slug", a.tenantSlug()).put("user_id", a.userId()).put("role", a.role().value())))
        .onFailure(ctx::fail);
  }

  static JsonObject inviteJson(InviteRecord i) {
    return new JsonObject().put("id", i.id()).put("email", i.email()).put("role", i.role())
        .put("workspaces", new JsonArray(i.workspaces())).put("state", i.state(Instant.now()))
        .put("created_at", AccountRoutes.time(i.createdAt())).put("expires_at", AccountRoutes.time(i.expiresAt()));
  }

  // ---- the tenant and the user ----

  void getTenant(RoutingContext ctx) {
    Principal principal = Authenticator.principal(ctx);
    this.<TenantView>ask(new GetTenant(principal))
        .onSuccess(view -> AccountRoutes.json(ctx, 200, tenantJson(view.tenant())
            .put("role", principal.role().value())))
        .onFailure(ctx::fail);
  }

  void updateTenant(RoutingContext ctx) {
    TeamRequests.UpdateTenant request = TeamRequests.updateTenant(RequestInput.of(ctx));
    Principal principal = Authenticator.principal(ctx);
    ask(new UpdateTenant(principal, request.name(), request.slug(), origins.of(ctx)))
        .compose(done -> this.<TenantView>ask(new GetTenant(principal)))
        .onSuccess(view -> AccountRoutes.json(ctx, 200, tenantJson(view.tenant())
            .put("role", principal.role().value())))
        .onFailure(ctx::fail);
  }

  void deleteTenant(RoutingContext ctx) {
    String confirm = TeamRequests.deleteTenant(RequestInput.of(ctx));
    ask(new DeleteTenant(Authenticator.principal(ctx), confirm, origins.of(ctx)))
        .onSuccess(done -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  static JsonObject tenantJson(TenantRecord t) {
    return new JsonObject().put("id", t.id()).put("slug", t.slug()).put("name", t.name()).put("plan", t.plan())
        .put("status", t.status()).put("members", t.members()).put("created_at", AccountRoutes.time(t.createdAt()));
  }

  void me(RoutingContext ctx) {
    this.<MeView>ask(new Me(Authenticator.principal(ctx)))
        .onSuccess(me -> {
          JsonArray tenants = new JsonArray();
          for (Membership m : me.memberships()) {
            tenants.add(new JsonObject().put("tenant_id", m.tenantId()).put("tenant_slug", m.tenantSlug())
                .put("role", m.role()).put("status", m.tenantStatus()).put("workspaces", new JsonArray(m.workspaces())));
          }
          AccountRoutes.json(ctx, 200, new JsonObject().put("user_id", me.userId()).put("email", me.email())
              .put("tenants", tenants));
        })
        .onFailure(ctx::fail);
  }

  void changePassword(RoutingContext ctx) {
    TeamRequests.ChangePassword request = TeamRequests.changePassword(RequestInput.of(ctx));
    this.<TokenResult>ask(new ChangePassword(Authenticator.principal(ctx), request.current(), request.next(),
            origins.of(ctx)))
        .onSuccess(t -> AccountRoutes.json(ctx, 200, AccountRoutes.tokenJson(t)))
        .onFailure(ctx::fail);
  }

  private <T> Future<T> ask(AccountCommand command) {
    return bus.<T>request(Addresses.ACCOUNTS, command, LOCAL).map(Message::body);
  }
}
