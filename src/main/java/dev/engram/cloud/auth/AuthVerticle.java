package dev.engram.cloud.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.engram.cloud.auth.AuthMessages.AccountCommand;
import dev.engram.cloud.auth.AuthMessages.CreateKey;
import dev.engram.cloud.auth.AuthMessages.CreatedKey;
import dev.engram.cloud.auth.AuthMessages.Done;
import dev.engram.cloud.auth.AuthMessages.KeyList;
import dev.engram.cloud.auth.AuthMessages.ListKeys;
import dev.engram.cloud.auth.AuthMessages.Login;
import dev.engram.cloud.auth.AuthMessages.Resolve;
import dev.engram.cloud.auth.AuthMessages.RevokeKey;
import dev.engram.cloud.auth.AuthMessages.Signup;
import dev.engram.cloud.auth.AuthMessages.SignupResult;
import dev.engram.cloud.auth.AuthMessages.TokenResult;
import dev.engram.cloud.auth.AuthMessages.TokenSignup;
import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.controlplane.ApiKeyQuery;
import dev.engram.cloud.controlplane.ApiKeyRecord;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.controlplane.ExternalIdentity;
import dev.engram.cloud.controlplane.ExternalIdentity.Membership;
import dev.engram.cloud.controlplane.NewAccount;
import dev.engram.cloud.controlplane.NewApiKey;
import dev.engram.cloud.controlplane.UserLogin;
import dev.engram.cloud.quota.QuotaMessages.Decision;
import dev.engram.cloud.quota.QuotaMessages.PublicCall;
import dev.engram.cloud.quota.QuotaMessages.PublicLimit;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;


import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Turns credentials into principals and runs the account operations (sign-up, sign-in, API keys).
 * Verified API keys are cached by hash; a revocation on this node evicts the key at once, other nodes within
 * {@code auth.key_cache_seconds}. Tokens of the external issuer (when {@code JWKS_URL} is set) resolve through the
 * user linked to their subject; the resulting principals are cached by token hash for
 * {@code auth.external.token_cache_seconds}, never beyond the token's expiry.
 */
public final class AuthVerticle extends VerticleBase {

  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private final ControlPlane controlPlane;
  private final JwtTokens tokens;
  private final PasswordHasher passwords;
  private final Cache<String, Optional<ApiKeyRecord>> keysByHash;
  private final EngramConfig.External externalConfig;
  private final Cache<String, CachedPrincipal> externalPrincipals;
  private final EngramConfig.Auth authConfig;
  private ExternalJwt external;
  private PasswordHashPool hashes;

  private record CachedPrincipal(Principal principal, Duration ttl) {}

  public AuthVerticle(EngramConfig config, ControlPlane controlPlane, JwtTokens tokens, PasswordHasher passwords) {
    this.controlPlane = controlPlane;
    this.tokens = tokens;
    this.passwords = passwords;
    this.keysByHash = Caffeine.newBuilder()
        .maximumSize(100_000)
        .expireAfterWrite(Duration.ofSeconds(config.auth().keyCacheSeconds()))
        .build();
    this.authConfig = config.auth();
    this.externalConfig = config.auth().external();
    this.externalPrincipals = Caffeine.newBuilder()
        .maximumSize(100_000)
        .expireAfter(Expiry.creating((String key, CachedPrincipal cached) -> cached.ttl()))
        .build();
  }

  @Override
  public Future<?> start() {
    if (externalConfig.enabled()) external = new ExternalJwt(vertx, externalConfig);
    hashes = new PasswordHashPool(vertx, authConfig.passwordHashing());
    var bus = vertx.eventBus();
    return Future.all(
        bus.<Resolve>localConsumer(Addresses.AUTH, this::onResolve).completion(),
        bus.<AccountCommand>localConsumer(Addresses.ACCOUNTS, this::onAccount).completion());
  }

  @Override
  public Future<?> stop() {
    return Future.join(hashes.close(), external == null ? Future.succeededFuture() : external.close());
  }

  private void onResolve(Message<Resolve> msg) {
    resolve(msg.body().credential(), msg.body().tenant()).onComplete(ar -> {
      if (ar.succeeded()) msg.reply(ar.result());
      else ApiException.fail(msg, ar.cause());
    });
  }

  private void onAccount(Message<AccountCommand> msg) {
    AccountCommand cmd = msg.body();
    Future<?> result;
    if (cmd instanceof Signup s) result = signup(s);
    else if (cmd instanceof TokenSignup t) result = tokenSignup(t);
    else if (cmd instanceof Login l) result = login(l);
    else if (cmd instanceof CreateKey c) result = createKey(c);
    else if (cmd instanceof ListKeys l) result = listKeys(l);
    else if (cmd instanceof RevokeKey r) result = revokeKey(r);
    else result = Future.failedFuture(ApiException.internal("unknown account command"));
    result.onComplete(ar -> {
      if (ar.succeeded()) msg.reply(ar.result());
      else ApiException.fail(msg, ar.cause());
    });
  }

  Future<Principal> resolve(String credential, String tenant) {
    if (ApiKeys.looksLikeKey(credential)) {
      if (!ApiKeys.wellFormed(credential)) {
        return Future.failedFuture(ApiException.unauthorized("invalid_api_key", "The API key is malformed."));
      }
      String hash = ApiKeys.hash(credential);
      Optional<ApiKeyRecord> cached = keysByHash.getIfPresent(hash);
      Future<Optional<ApiKeyRecord>> record = cached != null
          ? Future.succeededFuture(cached)
          : controlPlane.findApiKeyByHash(hash).onSuccess(r -> keysByHash.put(hash, r));
      return record.map(this::principalOf);
    }
    if (credential.chars().filter(c -> c == '.').count() == 2) {
      // Each issuer's tokens go to that issuer's verifier only; the peek at 'iss' just picks which one.
      if (external != null && external.claimsIssuer(credential)) return resolveExternal(credential, tenant);
      return tokens.verify(credential);
    }
    return Future.failedFuture(ApiException.unauthorized("invalid_credentials",
        "The credential is neither an API key nor an access token."));
  }

  private Future<Principal> resolveExternal(String token, String tenant) {
    String cacheKey = sha256(token) + "|" + (tenant == null ? "" : tenant);
    CachedPrincipal cached = externalPrincipals.getIfPresent(cacheKey);
    if (cached != null) return Future.succeededFuture(cached.principal());
    return external.verify(token).compose(claims -> controlPlane.findIdentity(external.issuer(), claims.subject())
        .map(found -> {
          ExternalIdentity identity = found.orElseThrow(() -> ApiException.unauthorized("unknown_identity",
              "No account is linked to this token's subject yet: sign up with POST /v1/signup, presenting the token."));
          Membership membership = chooseMembership(identity.memberships(), tenant);
          String role = membership.role();
          Principal principal = new Principal(membership.tenantId(), identity.userId(), null, role,
              Set.copyOf(scopesOf(role)));
          Duration ttl = Duration.ofSeconds(externalConfig.tokenCacheSeconds());
          Duration untilExpiry = Duration.between(Instant.now(), claims.expiresAt());
          if (untilExpiry.compareTo(ttl) < 0) ttl = untilExpiry;
          if (!ttl.isNegative() && !ttl.isZero()) externalPrincipals.put(cacheKey, new CachedPrincipal(principal, ttl));
          return principal;
        }));
  }

  /**
   * The tenant an external user acts in: the one named by {@code X-Engram-Tenant} if they are a member of it (else
   * 403, whatever tenant exists), otherwise their oldest membership, the same one password sign-in picks.
   */
  static Membership chooseMembership(List<Membership> memberships, String requested) {
    if (memberships.isEmpty()) throw ApiException.forbidden("no_membership", "This account belongs to no tenant.");
    Membership chosen = requested == null
        ? memberships.get(0)
        : memberships.stream().filter(m -> m.tenantId().equals(requested)).findFirst()
            .orElseThrow(() -> ApiException.forbidden("not_a_member",
                "This account is not a member of the tenant named in X-Engram-Tenant."));
    if (!"active".equals(chosen.tenantStatus())) {
      throw ApiException.forbidden("tenant_inactive", "The tenant is not active.");
    }
    return chosen;
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private Principal principalOf(Optional<ApiKeyRecord> found) {
    ApiKeyRecord key = found.orElseThrow(() -> ApiException.unauthorized("invalid_api_key", "The API key is not valid."));
    Instant now = Instant.now();
    if (key.revokedAt() != null) throw ApiException.unauthorized("api_key_revoked", "The API key has been revoked.");
    if (key.expiresAt() != null && !key.expiresAt().isAfter(now)) {
      throw ApiException.unauthorized("api_key_expired", "The API key has expired.");
    }
    if (!"active".equals(key.tenantStatus())) {
      throw ApiException.forbidden("tenant_inactive", "The tenant is not active.");
    }
    return new Principal(key.tenantId(), null, key.id(), "api_key", Set.copyOf(key.scopes()));
  }

  private Future<SignupResult> signup(Signup s) {
    String tenantId = Ids.tenantId();
    String userId = Ids.userId();
    String apiKey = ApiKeys.generate();
    return hashes.run(() -> passwords.hash(s.password()))
        .compose(hash -> controlPlane.createAccount(new NewAccount(tenantId, s.tenantName(), userId, s.email(), hash,
            new NewApiKey(Ids.keyId(), tenantId, "default", ApiKeys.displayPrefix(apiKey), ApiKeys.hash(apiKey),
                Scope.all(), userId, null))))
        .map(v -> new SignupResult(tenantId, userId, apiKey));
  }

  /** Sign-up of an external issuer's user: a new tenant owned by the user linked to the token's subject. */
  private Future<SignupResult> tokenSignup(TokenSignup t) {
    if (external == null) {
      return Future.failedFuture(ApiException.badRequest("external_auth_disabled",
          "This server accepts no external tokens (JWKS_URL is not set): sign up with email and password."));
    }
    if (!external.claimsIssuer(t.token())) {
      return Future.failedFuture(ApiException.unauthorized("invalid_token",
          "Sign-up takes an access token from the external issuer."));
    }
    String issuer = external.issuer();
    return external.verify(t.token()).compose(claims -> throttleSignUp(issuer + " " + claims.subject())
        .compose(admitted -> controlPlane.findIdentity(issuer, claims.subject()))
        .compose(found -> {
          if (found.isPresent()) {
            throw new ApiException(409, "identity_taken",
                "This identity already has an account: call the API with the token.");
          }
          String tenantId = Ids.tenantId();
          String userId = Ids.userId();
          String apiKey = ApiKeys.generate();
          NewAccount account = new NewAccount(tenantId, t.tenantName(), userId, claims.email(), null,
              new NewApiKey(Ids.keyId(), tenantId, "default", ApiKeys.displayPrefix(apiKey), ApiKeys.hash(apiKey),
                  Scope.all(), userId, null));
          return controlPlane.createAccountWithIdentity(account, issuer, claims.subject())
              .map(v -> new SignupResult(tenantId, userId, apiKey));
        }));
  }

  private Future<TokenResult> login(Login l) {
    ApiException denied = ApiException.unauthorized("invalid_login", "The email or password is incorrect.");
    return controlPlane.findLogin(l.email())
        .compose(found -> hashes.run(() -> {
          // verify() also runs (against a decoy) for an unknown email, so timing does not tell them apart.
          if (!passwords.verify(l.password(), found.map(UserLogin::passwordHash).orElse(null))) {
            throw denied;
          }
          var user = found.get();
          if (!"active".equals(user.tenantStatus())) {
            throw ApiException.forbidden("tenant_inactive", "The tenant is not active.");
          }
          String token = tokens.issue(user.userId(), user.tenantId(), user.role(), scopesOf(user.role()));
          return new TokenResult(token, tokens.ttlSeconds());
        }));
  }

  /**
   * The per-account sign-up limit for an external identity, known only once its token is verified (a password
   * sign-up is limited by email before it gets here).
   */
  private Future<Void> throttleSignUp(String identity) {
    return vertx.eventBus().<Decision>request(Addresses.QUOTA_PUBLIC,
            new PublicCall(PublicLimit.SIGN_UP_PER_ACCOUNT, identity), LOCAL)
        .map(reply -> {
          Decision d = reply.body();
          if (!d.allowed()) {
            throw new ApiException(429, "rate_limited", "Too many sign-ups with this identity; retry after "
                + d.retryAfterSeconds() + " second(s).", new JsonObject().put("retry_after", d.retryAfterSeconds()));
          }
          return null;
        });
  }

  private static List<String> scopesOf(String role) {
    return switch (role) {
      case "owner", "admin" -> Scope.all();
      case "member" -> List.of(Scope.MEMORIES_READ.value(), Scope.MEMORIES_WRITE.value());
      default -> List.of(Scope.MEMORIES_READ.value());
    };
  }

  private Future<CreatedKey> createKey(CreateKey c) {
    String secret = ApiKeys.generate();
    String actor = c.principal().userId() != null ? c.principal().userId() : c.principal().keyId();
    NewApiKey key = new NewApiKey(Ids.keyId(), c.principal().tenantId(), c.name(), ApiKeys.displayPrefix(secret),
        ApiKeys.hash(secret), c.scopes(), actor, null);
    return controlPlane.insertApiKey(key, authConfig.maxActiveApiKeys()).map(v -> new CreatedKey(
        new ApiKeyRecord(key.id(), key.tenantId(), key.name(), key.prefix(), key.scopes(), Instant.now(), null, null,
            "active"), secret));
  }

  private Future<KeyList> listKeys(ListKeys l) {
    Principal p = l.principal();
    return controlPlane.listApiKeys(new ApiKeyQuery(p.tenantId(), List.copyOf(p.workspaces()), l.limit(),
        l.afterKeyId())).map(page -> new KeyList(page.keys(), page.nextAfter()));
  }

  /** A workspace-restricted principal reaches only keys inside its workspaces; any other is "no such key". */
  private Future<Done> revokeKey(RevokeKey r) {
    Principal p = r.principal();
    return controlPlane.revokeApiKey(p.tenantId(), r.keyId(), List.copyOf(p.workspaces())).map(revoked -> {
      if (!revoked) throw ApiException.notFound("No active API key with id " + r.keyId() + ".");
      keysByHash.asMap().values().removeIf(k -> k.map(rec -> rec.id().equals(r.keyId())).orElse(false));
      return new Done();
    });
  }
}
