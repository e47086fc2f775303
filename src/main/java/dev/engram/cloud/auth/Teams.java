package dev.engram.cloud.auth;

import dev.engram.cloud.auth.AuthMessages.AcceptInvite;
import dev.engram.cloud.auth.AuthMessages.Accepted;
import dev.engram.cloud.auth.AuthMessages.ChangeMember;
import dev.engram.cloud.auth.AuthMessages.ChangePassword;
import dev.engram.cloud.auth.AuthMessages.CreateInvite;
import dev.engram.cloud.auth.AuthMessages.CreatedInvite;
import dev.engram.cloud.auth.AuthMessages.DeleteTenant;
import dev.engram.cloud.auth.AuthMessages.Done;
import dev.engram.cloud.auth.AuthMessages.GetTenant;
import dev.engram.cloud.auth.AuthMessages.InviteList;
import dev.engram.cloud.auth.AuthMessages.ListInvites;
import dev.engram.cloud.auth.AuthMessages.ListMembers;
import dev.engram.cloud.auth.AuthMessages.Me;
import dev.engram.cloud.auth.AuthMessages.MeView;
import dev.engram.cloud.auth.AuthMessages.MemberList;
import dev.engram.cloud.auth.AuthMessages.OperatorGet;
import dev.engram.cloud.auth.AuthMessages.OperatorList;
import dev.engram.cloud.auth.AuthMessages.OperatorSetPlan;
import dev.engram.cloud.auth.AuthMessages.OperatorSetStatus;
import dev.engram.cloud.auth.AuthMessages.RemoveMember;
import dev.engram.cloud.auth.AuthMessages.RevokeInvite;
import dev.engram.cloud.auth.AuthMessages.TeamCommand;
import dev.engram.cloud.auth.AuthMessages.TenantList;
import dev.engram.cloud.auth.AuthMessages.TenantView;
import dev.engram.cloud.auth.AuthMessages.TokenResult;
import dev.engram.cloud.auth.AuthMessages.TransferOwnership;
import dev.engram.cloud.auth.AuthMessages.UpdateTenant;
import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.config.EngramConfig.Plan;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.controlplane.ControlPlaneErrors;
import dev.engram.cloud.controlplane.InviteRecord;
import dev.engram.cloud.controlplane.MemberCap;
import dev.engram.cloud.controlplane.Membership;
import dev.engram.cloud.controlplane.NewInvite;
import dev.engram.cloud.controlplane.NewUser;
import dev.engram.cloud.controlplane.TenantRecord;
import dev.engram.cloud.controlplane.UserLogin;
import dev.engram.cloud.engine.EngineSupervisor;
import dev.engram.cloud.quota.Plans;
import dev.engram.cloud.quota.QuotaMessages.Decision;
import dev.engram.cloud.quota.QuotaMessages.PlanChanged;
import dev.engram.cloud.quota.QuotaMessages.PublicCheck;
import dev.engram.cloud.quota.QuotaMessages.SignInAttempt;
import dev.engram.cloud.quota.QuotaMessages.SignInOutcome;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Members, invites, the tenant itself, password changes and the operator's commands: the control-plane changes
 * around a tenant's team. Runs on the auth verticle's event loop, so that each change evicts at once what this
 * node cached about the users, keys and tenant it touched ({@link AuthCache}). Permissions are checked at the doors
 * ({@link Permissions}); the rules that depend on the target (the owner, the plan's member cap, a restricted
 * caller) are checked here and in the control plane.
 */
final class Teams {

  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);
  /** The engine's files may take a moment to remove. */
  private static final DeliveryOptions RETIRE = new DeliveryOptions().setLocalOnly(true).setSendTimeout(60_000);

  private final Vertx vertx;
  private final EngramConfig config;
  private final ControlPlane controlPlane;
  private final AuthCache cache;
  private final JwtTokens tokens;
  private final PasswordHasher passwords;
  private final PasswordHashPool hashes;
  private final Function<String, Future<String>> userOfCredential;
  private final Plans plans;

  Teams(Vertx vertx, EngramConfig config, ControlPlane controlPlane, AuthCache cache, JwtTokens tokens,
        PasswordHasher passwords, PasswordHashPool hashes, Function<String, Future<String>> userOfCredential) {
    this.vertx = vertx;
    this.config = config;
    this.controlPlane = controlPlane;
    this.cache = cache;
    this.tokens = tokens;
    this.passwords = passwords;
    this.hashes = hashes;
    this.userOfCredential = userOfCredential;
    this.plans = new Plans(config.quota());
  }

  Future<?> run(TeamCommand command) {
    if (command instanceof ListMembers c) {
      return tenantWide(c.principal()).compose(p -> controlPlane.listMembers(p.tenantId())).map(MemberList::new);
    }
    if (command instanceof ChangeMember c) return changeMember(c);
    if (command instanceof RemoveMember c) return removeMember(c);
    if (command instanceof TransferOwnership c) return transfer(c);
    if (command instanceof CreateInvite c) return createInvite(c);
    if (command instanceof ListInvites c) {
      return tenantWide(c.principal()).compose(p -> controlPlane.listInvites(p.tenantId())).map(InviteList::new);
    }
    if (command instanceof RevokeInvite c) return revokeInvite(c);
    if (command instanceof GetTenant c) return tenant(c.principal().tenantId()).map(TenantView::new);
    if (command instanceof UpdateTenant c) return updateTenant(c);
    if (command instanceof DeleteTenant c) return deleteTenant(c);
    if (command instanceof Me c) return me(c);
    if (command instanceof OperatorList c) return controlPlane.listTenants(c.afterId(), c.limit()).map(TenantList::new);
    if (command instanceof OperatorGet c) return tenant(c.ref()).map(TenantView::new);
    if (command instanceof OperatorSetPlan c) return setPlan(c);
    if (command instanceof OperatorSetStatus c) return setStatus(c);
    return Future.failedFuture(ApiException.internal("unknown team command"));
  }

  /** Members, invites and the audit log are views of the whole tenant: not for a workspace-restricted caller. */
  private static Future<Principal> tenantWide(Principal p) {
    if (!p.workspaces().isEmpty()) {
      return Future.failedFuture(ApiException.forbidden("workspace_restricted", "This credential is restricted to "
          + "workspaces " + p.workspaces() + "; members, invites and the audit log are not available to it."));
    }
    return Future.succeededFuture(p);
  }

  private Future<TenantRecord> tenant(String idOrSlug) {
    return controlPlane.findTenant(idOrSlug).map(found -> found.orElseThrow(() ->
        ApiException.notFound("No tenant " + idOrSlug + ".")));
  }

  // ---- members ----

  private Future<?> changeMember(ChangeMember c) {
    return tenantWide(c.principal()).compose(p -> {
      if (c.role() != null && !p.role().atLeast(c.role())) {
        throw ApiException.forbidden("insufficient_role", "You cannot give a role above your own.");
      }
      return controlPlane.changeMember(p.tenantId(), c.userId(), c.role() == null ? null : c.role().value(),
          c.workspaces(), c.origin().as(p.actor()));
    }).map(member -> {
      cache.evictUser(c.userId());
      return new MemberList(List.of(member.orElseThrow(() -> notAMember(c.userId()))));
    });
  }

  private Future<Done> removeMember(RemoveMember c) {
    return tenantWide(c.principal())
        .compose(p -> controlPlane.removeMember(p.tenantId(), c.userId(), c.origin().as(p.actor())))
        .map(revoked -> {
          cache.evictKeys(revoked.orElseThrow(() -> notAMember(c.userId())));
          cache.evictUser(c.userId());
          return new Done();
        });
  }

  private Future<Done> transfer(TransferOwnership c) {
    Principal p = c.principal();
    return controlPlane.transferOwnership(p.tenantId(), p.userId(), c.userId(), c.origin().as(p.actor()))
        .map(done -> {
          if (!done) throw notAMember(c.userId());
          cache.evictUser(p.userId());
          cache.evictUser(c.userId());
          return new Done();
        });
  }

  private static ApiException notAMember(String userId) {
    return ApiException.notFound("No member " + userId + " in this tenant.");
  }

  // ---- invites ----

  private Future<Done> revokeInvite(RevokeInvite c) {
    return tenantWide(c.principal())
        .compose(p -> controlPlane.revokeInvite(p.tenantId(), c.inviteId(), c.origin().as(p.actor())))
        .map(revoked -> {
          if (!revoked) throw ApiException.notFound("No pending invite with id " + c.inviteId() + ".");
          return new Done();
        });
  }

  private Future<CreatedInvite> createInvite(CreateInvite c) {
    return tenantWide(c.principal()).compose(p -> {
      if (!p.role().atLeast(c.role())) {
        throw ApiException.forbidden("insufficient_role", "You cannot invite with a role above your own.");
      }
      String token = Ids.inviteToken();
      Instant expires = Instant.now().plusSeconds(config.auth().inviteTtlSeconds()).truncatedTo(ChronoUnit.MILLIS);
      String createdBy = p.isKey() ? p.keyId() : p.userId();
      NewInvite invite = new NewInvite(Ids.inviteId(), p.tenantId(), c.email(), c.role().value(), c.workspaces(),
          ApiKeys.hash(token), createdBy, expires);
      return memberCap(p.tenantId())
          .compose(cap -> controlPlane.createInvite(invite, cap, c.origin().as(p.actor())))
          .map(v -> new CreatedInvite(new InviteRecord(invite.id(), invite.tenantId(), invite.email(), invite.role(),
              invite.workspaces(), createdBy, Instant.now(), expires, null, null), token));
    });
  }

  private Future<MemberCap> memberCap(String tenantId) {
    return controlPlane.tenantPlan(tenantId).map(name -> {
      Plan plan = plans.of(name.orElse(null));
      return new MemberCap(plan.members(), plan.name());
    });
  }

  /**
   * With a user's bearer token the user joins; else with email and password: an account with that email signs in
   * (its password checked) and joins, or a new account is made. The email must be the invite's.
   */
  Future<Accepted> accept(AcceptInvite a) {
    return controlPlane.findInviteByTokenHash(ApiKeys.hash(a.token()))
        .map(found -> {
          InviteRecord invite = found.orElseThrow(() -> new ApiException(404, "invite_not_found",
              "No such invite: check the token, or ask for a new invite."));
          ControlPlaneErrors.checkPending(invite, Instant.now());
          return invite;
        })
        .compose(invite -> memberCap(invite.tenantId()).compose(cap -> {
          if (a.credential() != null) {
            return userOfCredential.apply(a.credential()).compose(userId ->
                controlPlane.acceptInvite(invite, null, userId, cap, a.origin()).map(role -> new Joined(userId, role)));
          }
          if (!a.email().equalsIgnoreCase(invite.email())) {
            throw ApiException.forbidden("invite_email_mismatch", "This invite is for another email address.");
          }
          return controlPlane.findLogin(a.email()).compose(existing -> {
            if (existing.isPresent()) {
              return checkPassword(existing.get(), a.password(), ApiException.unauthorized("invalid_login",
                  "The email or password is incorrect."))
                  .compose(v -> controlPlane.acceptInvite(invite, null, existing.get().userId(), cap, a.origin()))
                  .map(role -> new Joined(existing.get().userId(), role));
            }
            String userId = Ids.userId();
            return hashes.run(() -> passwords.hash(a.password()))
                .compose(hash -> controlPlane.acceptInvite(invite, new NewUser(userId, a.email(), hash), null, cap,
                    a.origin()))
                .map(role -> new Joined(userId, role));
          });
        }).compose(joined -> {
          cache.evictUser(joined.userId());
          return tenant(invite.tenantId()).map(t -> new Accepted(t.id(), t.slug(), joined.userId(),
              Role.of(joined.role())));
        }));
  }

  private record Joined(String userId, String role) {}

  /**
   * Checks a user's password on the hashing pool, behind the sign-in limit and backoff of their email (a wrong one
   * counts as a failed sign-in); fails with {@code denied}.
   */
  private Future<Void> checkPassword(UserLogin user, String password, ApiException denied) {
    String account = user.email() == null ? user.userId() : user.email().toLowerCase(Locale.ROOT);
    return vertx.eventBus().<Decision>request(Addresses.QUOTA_PUBLIC, (PublicCheck) new SignInAttempt(account), LOCAL)
        .compose(reply -> {
          Decision d = reply.body();
          if (!d.allowed()) {
            throw new ApiException(429, "rate_limited", "Too many password attempts for this account; retry after "
                + d.retryAfterSeconds() + " second(s).", new JsonObject().put("retry_after", d.retryAfterSeconds()));
          }
          return hashes.run(() -> passwords.verify(password, user.passwordHash()));
        })
        .compose(ok -> vertx.eventBus().request(Addresses.QUOTA_PUBLIC, (PublicCheck) new SignInOutcome(account, ok),
                LOCAL)
            .map(recorded -> {
              if (!ok) throw denied;
              return null;
            }));
  }

  /**
   * The current password must be given; a new token comes back, and every other session token of the user stops (on
   * this node at once, elsewhere within {@code auth.key_cache_seconds}).
   */
  Future<TokenResult> changePassword(ChangePassword c) {
    Principal p = c.principal();
    if (p.isKey()) {
      return Future.failedFuture(ApiException.forbidden("user_token_required",
          "Change a password with the user's own access token, not an API key."));
    }
    return controlPlane.findUser(p.userId())
        .map(found -> found.orElseThrow(AuthVerticle::tokenRevoked))
        .compose(user -> {
          if (user.passwordHash() == null) throw ControlPlaneErrors.noPassword();
          return checkPassword(user, c.currentPassword(), ApiException.forbidden("invalid_password",
              "The current password is incorrect."));
        })
        .compose(v -> hashes.run(() -> passwords.hash(c.newPassword())))
        .compose(hash -> controlPlane.changePassword(p.tenantId(), p.userId(), hash, c.origin().as(p.actor())))
        .map(version -> {
          cache.evictUser(p.userId());
          return new TokenResult(tokens.issue(p.userId(), p.tenantId(), p.role(), version), tokens.ttlSeconds(),
              p.tenantId(), p.tenantSlug(), p.userId(), p.role());
        });
  }

  // ---- the tenant ----

  private Future<Done> updateTenant(UpdateTenant c) {
    Principal p = c.principal();
    return controlPlane.updateTenant(p.tenantId(), c.name(), c.slug(), c.origin().as(p.actor())).map(found -> {
      if (!found) throw ApiException.notFound("No tenant " + p.tenantId() + ".");
      cache.evictTenant(p.tenantId());
      return new Done();
    });
  }

  /**
   * Deletes the tenant once its slug is typed again: it stops answering at once on this node (its keys and sessions
   * evicted, its engine stopped and its files removed), on other nodes within {@code auth.key_cache_seconds}.
   */
  private Future<Done> deleteTenant(DeleteTenant c) {
    Principal p = c.principal();
    return tenant(p.tenantId()).compose(t -> {
      if (t.slug() == null || !t.slug().equals(c.confirm())) {
        throw ApiException.badRequest("confirmation_mismatch", "Type the tenant's slug ('" + t.slug()
            + "') as 'confirm' to delete it.");
      }
      return controlPlane.deleteTenant(p.tenantId(), c.origin().as(p.actor()));
    }).compose(members -> {
      cache.evictTenant(p.tenantId());
      members.orElseThrow(() -> ApiException.notFound("No tenant " + p.tenantId() + ".")).forEach(cache::evictUser);
      return vertx.eventBus().request(Addresses.ENGINE_RETIRE, new EngineSupervisor.Retire(p.tenantId()), RETIRE);
    }).map(v -> new Done());
  }

  private Future<MeView> me(Me c) {
    Principal p = c.principal();
    if (p.isKey()) {
      return Future.failedFuture(ApiException.forbidden("user_token_required",
          "/v1/me is for a user's access token; an API key belongs to one tenant (GET /v1/tenant)."));
    }
    return controlPlane.findUser(p.userId()).map(found -> {
      UserLogin user = found.orElseThrow(AuthVerticle::tokenRevoked);
      List<Membership> live = user.memberships().stream().filter(m -> !"deleted".equals(m.tenantStatus())).toList();
      return new MeView(user.userId(), user.email(), live);
    });
  }

  // ---- the operator ----

  /** As {@code EngramServer.setTenantPlan}: quota on this node uses the new plan from the next request on. */
  private Future<TenantView> setPlan(OperatorSetPlan c) {
    if (!plans.exists(c.plan())) {
      return Future.failedFuture(ApiException.badRequest("unknown_plan", "No plan named '" + c.plan() + "'."));
    }
    return tenant(c.ref()).compose(t -> controlPlane.setTenantPlan(t.id(), c.plan(), c.origin()).compose(found -> {
      if (!found) throw ApiException.notFound("No live tenant " + c.ref() + ".");
      vertx.eventBus().publish(Addresses.PLAN_CHANGED, new PlanChanged(t.id()), LOCAL);
      return tenant(t.id());
    })).map(TenantView::new);
  }

  /** A suspended tenant's credentials get 403 {@code tenant_suspended} everywhere; its data is kept. */
  private Future<TenantView> setStatus(OperatorSetStatus c) {
    return tenant(c.ref()).compose(t -> controlPlane.setTenantStatus(t.id(), c.status(), c.origin()).compose(found -> {
      if (!found) throw ApiException.notFound("No live tenant " + c.ref() + ".");
      cache.evictTenant(t.id());
      return tenant(t.id());
    })).map(TenantView::new);
  }
}
