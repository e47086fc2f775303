package dev.engram.cloud.auth;

import dev.engram.cloud.auth.AuthMessages.AcceptInvite;
import dev.engram.cloud.auth.AuthMessages.AccountCommand;
import dev.engram.cloud.auth.AuthMessages.ChangePassword;
import dev.engram.cloud.auth.AuthMessages.CreateKey;
import dev.engram.cloud.auth.AuthMessages.CreatedKey;
import dev.engram.cloud.auth.AuthMessages.Done;
import dev.engram.cloud.auth.AuthMessages.KeyList;
import dev.engram.cloud.auth.AuthMessages.ListKeys;
import dev.engram.cloud.auth.AuthMessages.Login;
import dev.engram.cloud.auth.AuthMessages.Resolve;
import dev.engram.cloud.auth.AuthMessages.RevokeKey;
import dev.engram.cloud.auth.AuthMessages.RotateKey;
import dev.engram.cloud.auth.AuthMessages.RotatedKey;
import dev.engram.cloud.auth.AuthMessages.Signup;
import dev.engram.cloud.auth.AuthMessages.SignupResult;
import dev.engram.cloud.auth.AuthMessages.TeamCommand;
import dev.engram.cloud.auth.AuthMessages.TokenResult;
import dev.engram.cloud.auth.AuthMessages.TokenSignup;
import dev.engram.cloud.auth.AuthCache.CachedPrincipal;
import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.controlplane.ApiKeyQuery;
import dev.engram.cloud.controlplane.ApiKeyRecord;
import dev.engram.cloud.controlplane.AuditEntry;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.controlplane.ControlPlaneErrors;
import dev.engram.cloud.controlplane.ExternalIdentity;
import dev.engram.cloud.controlplane.KeyUse;
import dev.engram.cloud.controlplane.Membership;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Turns credentials into principals and runs the account operations (sign-up, sign-in, API keys, invites, members,
 * the tenant, the operator's commands: see {@link Teams}). Verified API keys and signed-in users' memberships are
 * cached ({@link AuthCache}); a change on this node evicts what it touches at once, other nodes see it within
 * {@code auth.key_cache_seconds}. Tokens of the external issuer (when {@code JWKS_URL} is set) resolve through the
 * user linked to their subject. Every use of an API key is noted to the minute in memory and written in one batch
 * every {@code auth.key_usage_flush_seconds} ({@code last_used_at}), never once per request; the same timer audits
 * the expiry of keys that have expired.
 */
public final class AuthVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(AuthVerticle.class);
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);
  /** Attempts at a free derived slug before giving up (each a fresh random suffix). */
  private static final int SLUG_ATTEMPTS = 5;

  private final EngramConfig config;
  private final ControlPlane controlPlane;
  private final JwtTokens tokens;
  private final PasswordHasher passwords;
  private final AuthCache cache;
  private final EngramConfig.External externalConfig;
  private final EngramConfig.Auth authConfig;
  /** Key uses not written yet: key id → its tenant and latest minute. */
  private Map<String, KeyUse> pendingUses = new HashMap<>();
  private Future<Void> lastFlush = Future.succeededFuture();
  private long flushTimer;
  private ExternalJwt external;
  private PasswordHashPool hashes;
  private Teams teams;

  public AuthVerticle(EngramConfig config, ControlPlane controlPlane, JwtTokens tokens, PasswordHasher passwords) {
    this.config = config;
    this.controlPlane = controlPlane;
    this.tokens = tokens;
    this.passwords = passwords;
    this.cache = new AuthCache(config.auth().keyCacheSeconds());
    this.authConfig = config.auth();
    this.externalConfig = config.auth().external();
  }

  @Override
  public Future<?> start() {
    if (externalConfig.enabled()) external = new ExternalJwt(vertx, externalConfig);
    hashes = new PasswordHashPool(vertx, authConfig.passwordHashing());
    teams = new Teams(vertx, config, controlPlane, cache, tokens, passwords, hashes, this::userId);
    flushTimer = vertx.setPeriodic(authConfig.keyUsageFlushSeconds() * 1000L, id -> flushKeyUses()
        .compose(v -> controlPlane.auditExpiredKeys(1000))
        .onFailure(err -> log.warn("key upkeep failed; will retry: {}", err.toString())));
    var bus = vertx.eventBus();
    return Future.all(
        bus.<Resolve>localConsumer(Addresses.AUTH, this::onResolve).completion(),
        bus.<AccountCommand>localConsumer(Addresses.ACCOUNTS, this::onAccount).completion());
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(flushTimer);
    return flushKeyUses().transform(v -> Future.join(hashes.close(),
        external == null ? Future.succeededFuture() : external.close()));
  }

  private void onResolve(Message<Resolve> msg) {
    resolve(msg.body().credential(), msg.body().tenants()).onComplete(ar -> {
      if (ar.succeeded()) msg.reply(ar.result());
      else ApiException.fail(msg, ar.cause());
    });
  }

  private void onAccount(Message<AccountCommand> msg) {
    AccountCommand cmd = msg.body();
    Future<?> result;
    try {
      if (cmd instanceof Signup s) result = signup(s);
      else if (cmd instanceof TokenSignup t) result = tokenSignup(t);
      else if (cmd instanceof Login l) result = login(l);
      else if (cmd instanceof CreateKey c) result = createKey(c);
      else if (cmd instanceof ListKeys l) result = listKeys(l);
      else if (cmd instanceof RevokeKey r) result = revokeKey(r);
      else if (cmd instanceof RotateKey r) result = rotateKey(r);
      else if (cmd instanceof AcceptInvite a) result = teams.accept(a);
      else if (cmd instanceof ChangePassword c) result = teams.changePassword(c);
      else if (cmd instanceof TeamCommand t) result = teams.run(t);
      else result = Future.failedFuture(ApiException.internal("unknown account command"));
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(ar -> {
      if (ar.succeeded()) msg.reply(ar.result());
      else ApiException.fail(msg, ar.cause());
    });
  }

  // ---- credentials ----

  Future<Principal> resolve(String credential, List<String> tenants) {
    if (ApiKeys.looksLikeKey(credential)) {
      if (!ApiKeys.wellFormed(credential)) {
        return Future.failedFuture(ApiException.unauthorized("invalid_api_key", "The API key is malformed."));
      }
      String hash = ApiKeys.hash(credential);
      Optional<ApiKeyRecord> cached = cache.keysByHash.getIfPresent(hash);
      long generation = cache.generation();
      Future<Optional<ApiKeyRecord>> record = cached != null
          ? Future.succeededFuture(cached)
          : controlPlane.findApiKeyByHash(hash).onSuccess(r -> cache.putKey(hash, r, generation));
      return record.map(found -> {
        Principal principal = keyPrincipal(found, tenants, Instant.now());
        noteUse(found.get());
        return principal;
      });
    }
    if (credential.chars().filter(c -> c == '.').count() == 2) {
      // Each issuer's tokens go to that issuer's verifier only; the peek at 'iss' just picks which one.
      if (external != null && external.claimsIssuer(credential)) return resolveExternal(credential, tenants);
      return tokens.verify(credential).compose(verified -> user(verified.userId())
          .map(found -> sessionPrincipal(verified, found, tenants)));
    }
    return Future.failedFuture(ApiException.unauthorized("invalid_credentials",
        "The credential is neither an API key nor an access token."));
  }

  /** The user, with their memberships and token version, through the cache. */
  private Future<Optional<UserLogin>> user(String userId) {
    Optional<UserLogin> cached = cache.usersById.getIfPresent(userId);
    if (cached != null) return Future.succeededFuture(cached);
    long generation = cache.generation();
    return controlPlane.findUser(userId).onSuccess(found -> cache.putUser(userId, found, generation));
  }

  /**
   * The user a bearer credential stands for, for an invite's acceptance: a session token of this server (checked
   * like any) or an external issuer's token whose subject is linked; never an API key (400).
   */
  private Future<String> userId(String credential) {
    if (ApiKeys.looksLikeKey(credential)) {
      return Future.failedFuture(ApiException.badRequest("user_token_required",
          "Accept an invite with a user's access token (POST /v1/auth/token), not an API key."));
    }
    if (external != null && external.claimsIssuer(credential)) {
      return external.verify(credential).compose(claims -> controlPlane.findIdentity(external.issuer(),
              claims.subject()))
          .map(found -> found.map(ExternalIdentity::userId).orElseThrow(() -> ApiException.unauthorized(
              "unknown_identity", "No account is linked to this token's subject yet.")));
    }
    return tokens.verify(credential).compose(verified -> user(verified.userId()).map(found -> {
      UserLogin user = found.orElseThrow(AuthVerticle::tokenRevoked);
      if (user.tokenVersion() != verified.tokenVersion()) throw tokenRevoked();
      return user.userId();
    }));
  }

  static ApiException tokenRevoked() {
    return ApiException.unauthorized("token_revoked", "This access token no longer holds: its user left the tenant, "
        + "or changed their password. Sign in again.");
  }

  /**
   * A session token of this server acts in the tenant the headers name (one its user belongs to), else in its own;
   * with the role the user has there now. A token of an older version (a password change since), or whose user is no
   * longer a member of its tenant, is 401 {@code token_revoked}.
   */
  static Principal sessionPrincipal(JwtTokens.Verified token, Optional<UserLogin> found, List<String> tenants) {
    UserLogin user = found.orElseThrow(AuthVerticle::tokenRevoked);
    if (user.tokenVersion() != token.tokenVersion()) throw tokenRevoked();
    Membership membership = tenants.isEmpty()
        ? user.memberships().stream().filter(m -> m.tenantId().equals(token.tenantId())).findFirst()
            .orElseThrow(AuthVerticle::tokenRevoked)
        : chooseMembership(user.memberships(), tenants);
    checkActive(membership);
    return userPrincipal(membership, user.userId());
  }

  private static Principal userPrincipal(Membership m, String userId) {
    Role role = Role.of(m.role());
    Set<String> scopes = new LinkedHashSet<>(role.scopes());
    m.workspaces().forEach(w -> scopes.add(Principal.WORKSPACE_SCOPE + w));
    return new Principal(m.tenantId(), m.tenantSlug(), userId, null, null, role, Set.copyOf(scopes));
  }

  private Future<Principal> resolveExternal(String token, List<String> tenants) {
    String cacheKey = sha256(token) + "|" + String.join(",", tenants);
    CachedPrincipal cached = cache.externalPrincipals.getIfPresent(cacheKey);
    if (cached != null) return Future.succeededFuture(cached.principal());
    long generation = cache.generation();
    return external.verify(token).compose(claims -> controlPlane.findIdentity(external.issuer(), claims.subject())
        .map(found -> {
          ExternalIdentity identity = found.orElseThrow(() -> ApiException.unauthorized("unknown_identity",
              "No account is linked to this token's subject yet: sign up with POST /v1/signup, presenting the token."));
          Membership membership = chooseMembership(identity.memberships(), tenants);
          checkActive(membership);
          Principal principal = userPrincipal(membership, identity.userId());
          Duration ttl = Duration.ofSeconds(externalConfig.tokenCacheSeconds());
          Duration untilExpiry = Duration.between(Instant.now(), claims.expiresAt());
          if (untilExpiry.compareTo(ttl) < 0) ttl = untilExpiry;
          if (!ttl.isNegative() && !ttl.isZero()) {
            cache.putExternal(cacheKey, new CachedPrincipal(principal, ttl), generation);
          }
          return principal;
        }));
  }

  /**
   * The tenant a user acts in: the one every header names (by id or slug) if they are a member of it (else 403
   * {@code tenant_mismatch}, whatever tenant exists), otherwise their oldest membership, the one sign-in picks too.
   */
  static Membership chooseMembership(List<Membership> memberships, List<String> tenants) {
    if (memberships.isEmpty()) throw ApiException.forbidden("no_membership", "This account belongs to no tenant.");
    if (tenants.isEmpty()) return memberships.get(0);
    Membership chosen = null;
    for (String named : tenants) {
      Membership m = memberships.stream().filter(x -> x.names(named)).findFirst().orElse(null);
      if (m == null || (chosen != null && !chosen.tenantId().equals(m.tenantId()))) throw tenantMismatch();
      chosen = m;
    }
    return chosen;
  }

  static ApiException tenantMismatch() {
    return ApiException.forbidden("tenant_mismatch", "X-Engram-Tenant / X-Tenant-Slug must name the credential's "
        + "tenant (by id or slug), or for a user's token a tenant the user belongs to.");
  }

  private static void checkActive(Membership m) {
    if ("suspended".equals(m.tenantStatus())) throw ControlPlaneErrors.tenantSuspended();
    if (!"active".equals(m.tenantStatus())) throw ApiException.forbidden("tenant_inactive", "The tenant is not active.");
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * An API key acts in its own tenant (the headers may only repeat it), with its scopes cut to what its member's role
   * allows now, and within its workspaces and its member's (both, when both are restricted).
   */
  static Principal keyPrincipal(Optional<ApiKeyRecord> found, List<String> tenants, Instant now) {
    ApiKeyRecord key = found.orElseThrow(() -> ApiException.unauthorized("invalid_api_key", "The API key is not valid."));
    if (key.revokedAt() != null) throw ApiException.unauthorized("api_key_revoked", "The API key has been revoked.");
    if (key.expiresAt() != null && !key.expiresAt().isAfter(now)) {
      throw ApiException.unauthorized("api_key_expired", "The API key has expired.");
    }
    if ("suspended".equals(key.tenantStatus())) throw ControlPlaneErrors.tenantSuspended();
    if (!"active".equals(key.tenantStatus())) {
      throw ApiException.forbidden("tenant_inactive", "The tenant is not active.");
    }
    if (key.memberRole() == null) {
      throw ApiException.unauthorized("api_key_revoked", "The API key's member has left the tenant.");
    }
    for (String named : tenants) {
      if (!key.tenantId().equals(named) && !named.equals(key.tenantSlug())) throw tenantMismatch();
    }
    Role role = Role.of(key.memberRole());
    Set<String> scopes = new LinkedHashSet<>();
    Set<String> keyWorkspaces = new LinkedHashSet<>();
    for (String scope : key.scopes()) {
      if (scope.startsWith(Principal.WORKSPACE_SCOPE)) {
        keyWorkspaces.add(scope.substring(Principal.WORKSPACE_SCOPE.length()));
      } else if (scope.equals(Scope.ADMIN.value())) {
        scopes.addAll(Scope.all());
      } else {
        scopes.add(scope);
      }
    }
    scopes.retainAll(role.scopes());
    Set<String> workspaces = keyWorkspaces;
    if (!key.memberWorkspaces().isEmpty()) {
      workspaces = new LinkedHashSet<>(key.memberWorkspaces());
      if (!keyWorkspaces.isEmpty()) workspaces.retainAll(keyWorkspaces);
      if (workspaces.isEmpty()) {
        throw ApiException.forbidden("workspace_restricted", "This key's workspaces are outside its member's.");
      }
    }
    workspaces.forEach(w -> scopes.add(Principal.WORKSPACE_SCOPE + w));
    return new Principal(key.tenantId(), key.tenantSlug(), key.userId(), key.id(), key.prefix(), role,
        Set.copyOf(scopes));
  }

  /** Notes a key's use at this minute, to be written with the next flush. */
  private void noteUse(ApiKeyRecord key) {
    Instant minute = Instant.now().truncatedTo(ChronoUnit.MINUTES);
    if (key.lastUsedAt() != null && !key.lastUsedAt().isBefore(minute)) return;
    pendingUses.put(key.id(), new KeyUse(key.tenantId(), key.id(), minute));
  }

  /** Writes the noted key uses in one batch; a failed batch goes back to be written with the next. */
  private Future<Void> flushKeyUses() {
    lastFlush = lastFlush.transform(ignored -> {
      if (pendingUses.isEmpty()) return Future.succeededFuture();
      Map<String, KeyUse> batch = pendingUses;
      pendingUses = new HashMap<>();
      return controlPlane.markKeysUsed(new ArrayList<>(batch.values())).onFailure(err ->
          batch.forEach((id, use) -> pendingUses.putIfAbsent(id, use)));
    });
    return lastFlush;
  }

  // ---- accounts ----

  private Future<SignupResult> signup(Signup s) {
    String tenantId = Ids.tenantId();
    String userId = Ids.userId();
    String apiKey = ApiKeys.generate();
    return hashes.run(() -> passwords.hash(s.password()))
        .compose(hash -> createWithSlug(s.tenantSlug(), s.tenantName(), SLUG_ATTEMPTS, slug -> controlPlane
            .createAccount(new NewAccount(tenantId, s.tenantName(), userId, s.email(), hash,
                firstKey(tenantId, userId, apiKey), slug, s.origin()))))
        .map(slug -> new SignupResult(tenantId, slug, userId, apiKey));
  }

  private static NewApiKey firstKey(String tenantId, String userId, String apiKey) {
    return new NewApiKey(Ids.keyId(), tenantId, "default", ApiKeys.displayPrefix(apiKey), ApiKeys.hash(apiKey),
        Scope.all(), userId, null);
  }

  /**
   * Creates the account under the chosen slug (409 {@code slug_taken} if taken), or under one derived from the
   * tenant name, with a random suffix added while the derived one is taken. Returns the slug it got.
   */
  private Future<String> createWithSlug(String chosen, String tenantName, int attempts,
                                        Function<String, Future<Void>> create) {
    String slug = chosen != null ? chosen : Slugs.derive(tenantName);
    return create.apply(slug).map(slug).recover(err -> {
      if (chosen == null && attempts > 1 && "slug_taken".equals(ApiException.from(err).code())) {
        return createWithSlug(Slugs.withSuffix(Slugs.derive(tenantName)), tenantName, attempts - 1, create);
      }
      return Future.failedFuture(err);
    });
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
          return createWithSlug(t.tenantSlug(), t.tenantName(), SLUG_ATTEMPTS, slug ->
              controlPlane.createAccountWithIdentity(new NewAccount(tenantId, t.tenantName(), userId, claims.email(),
                  null, firstKey(tenantId, userId, apiKey), slug, t.origin()), issuer, claims.subject()))
              .map(slug -> new SignupResult(tenantId, slug, userId, apiKey));
        }));
  }

  /**
   * Password sign-in, into the tenant the headers name or else the user's oldest membership. Both outcomes are
   * audited in that tenant (a wrong password for an account that exists too, as {@code failure}).
   */
  private Future<TokenResult> login(Login l) {
    ApiException denied = ApiException.unauthorized("invalid_login", "The email or password is incorrect.");
    return controlPlane.findLogin(l.email())
        .compose(found -> hashes.run(() -> {
              // verify() also runs (against a decoy) for an unknown email, so timing does not tell them apart.
              return passwords.verify(l.password(), found.map(UserLogin::passwordHash).orElse(null));
            })
            .compose(ok -> {
              if (!ok) {
                return found.map(user -> auditSignIn(user, l, AuditEntry.FAILURE)).orElse(Future.succeededFuture())
                    .transform(v -> Future.<TokenResult>failedFuture(denied));
              }
              UserLogin user = found.get();
              Membership m = chooseMembership(user.memberships(), l.tenants());
              checkActive(m);
              Role role = Role.of(m.role());
              String token = tokens.issue(user.userId(), m.tenantId(), role, user.tokenVersion());
              return auditSignIn(user, l, AuditEntry.OK).map(new TokenResult(token, tokens.ttlSeconds(), m.tenantId(),
                  m.tenantSlug(), user.userId(), role));
            }));
  }

  /** Audits a sign-in in the tenant it was for; a failure to audit is logged and does not change the answer. */
  private Future<Void> auditSignIn(UserLogin user, Login l, String outcome) {
    Optional<Membership> tenant = l.tenants().isEmpty() ? user.memberships().stream().findFirst()
        : user.memberships().stream().filter(m -> m.names(l.tenants().get(0))).findFirst();
    if (tenant.isEmpty()) return Future.succeededFuture();
    return controlPlane.audit(AuditEntry.of(tenant.get().tenantId(), l.origin().as(user.userId()), "auth.sign_in",
            user.userId(), null).withOutcome(outcome))
        .recover(err -> {
          log.warn("could not audit a sign-in to tenant {}: {}", tenant.get().tenantId(), err.toString());
          return Future.succeededFuture();
        });
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

  // ---- API keys ----

  /** A key never gets a scope its maker lacks, and acts for the maker's member (the key's, for a key's key). */
  private Future<CreatedKey> createKey(CreateKey c) {
    Principal p = c.principal();
    for (String scope : c.scopes()) {
      if (!scope.startsWith(Principal.WORKSPACE_SCOPE) && !p.has(Scope.parse(scope).orElseThrow())) {
        throw ApiException.forbidden("scope_exceeds_role", "A key cannot hold the '" + scope
            + "' scope: its maker does not.");
      }
    }
    String secret = ApiKeys.generate();
    NewApiKey key = new NewApiKey(Ids.keyId(), p.tenantId(), c.name(), ApiKeys.displayPrefix(secret),
        ApiKeys.hash(secret), c.scopes(), p.isKey() ? p.keyId() : p.userId(), c.expiresAt(), p.userId());
    return controlPlane.insertApiKey(key, authConfig.maxActiveApiKeys(), c.origin().as(p.actor())).map(v ->
        new CreatedKey(new ApiKeyRecord(key.id(), key.tenantId(), key.name(), key.prefix(), key.scopes(),
            Instant.now(), key.expiresAt(), null, "active", key.userId(), null, null, null, null, null), secret));
  }

  /** A page of keys, with the uses noted since the last flush already in {@code last_used_at}. */
  private Future<KeyList> listKeys(ListKeys l) {
    Principal p = l.principal();
    return controlPlane.listApiKeys(new ApiKeyQuery(p.tenantId(), List.copyOf(p.workspaces()), l.limit(),
        l.afterKeyId())).map(page -> new KeyList(page.keys().stream().map(this::withPendingUse).toList(),
        page.nextAfter()));
  }

  private ApiKeyRecord withPendingUse(ApiKeyRecord k) {
    KeyUse use = pendingUses.get(k.id());
    if (use == null || (k.lastUsedAt() != null && !k.lastUsedAt().isBefore(use.minute()))) return k;
    return new ApiKeyRecord(k.id(), k.tenantId(), k.name(), k.prefix(), k.scopes(), k.createdAt(), k.expiresAt(),
        k.revokedAt(), k.tenantStatus(), k.userId(), use.minute(), k.rotatedTo(), k.tenantSlug(), k.memberRole(),
        k.memberWorkspaces());
  }

  /** A workspace-restricted principal reaches only keys inside its workspaces; any other is "no such key". */
  private Future<Done> revokeKey(RevokeKey r) {
    Principal p = r.principal();
    return controlPlane.revokeApiKey(p.tenantId(), r.keyId(), List.copyOf(p.workspaces()), r.origin().as(p.actor()))
        .map(revoked -> {
          if (!revoked) throw ApiException.notFound("No active API key with id " + r.keyId() + ".");
          cache.evictKeys(List.of(r.keyId()));
          return new Done();
        });
  }

  /** The new secret is shown once; the old key keeps working until the overlap ends, on every node. */
  private Future<RotatedKey> rotateKey(RotateKey r) {
    Principal p = r.principal();
    String secret = ApiKeys.generate();
    NewApiKey replacement = new NewApiKey(Ids.keyId(), p.tenantId(), null, ApiKeys.displayPrefix(secret),
        ApiKeys.hash(secret), List.of(), p.isKey() ? p.keyId() : p.userId(), r.expiresAt(), null);
    Instant overlapEnds = Instant.now().plusSeconds(r.overlapSeconds()).truncatedTo(ChronoUnit.MILLIS);
    return controlPlane.rotateApiKey(p.tenantId(), r.keyId(), List.copyOf(p.workspaces()), replacement, overlapEnds,
            r.origin().as(p.actor()))
        .map(rotation -> {
          var done = rotation.orElseThrow(() -> ApiException.notFound("No active API key with id " + r.keyId() + "."));
          cache.evictKeys(List.of(r.keyId()));
          return new RotatedKey(done.replaced(), done.replacement(), secret);
        });
  }
}
