package dev.engram.cloud.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
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
import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.controlplane.ApiKeyRecord;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.controlplane.NewAccount;
import dev.engram.cloud.controlplane.NewApiKey;
import dev.engram.cloud.controlplane.UserLogin;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Turns credentials into principals and runs the account operations (sign-up, sign-in, API keys).
 * Verified API keys are cached by hash; a revocation on this node evicts the key at once, other nodes within
 * {@code auth.key_cache_seconds}.
 */
public final class AuthVerticle extends VerticleBase {

  private final ControlPlane controlPlane;
  private final JwtTokens tokens;
  private final PasswordHasher passwords;
  private final Cache<String, Optional<ApiKeyRecord>> keysByHash;

  public AuthVerticle(EngramConfig config, ControlPlane controlPlane, JwtTokens tokens, PasswordHasher passwords) {
    this.controlPlane = controlPlane;
    this.tokens = tokens;
    this.passwords = passwords;
    this.keysByHash = Caffeine.newBuilder()
        .maximumSize(100_000)
        .expireAfterWrite(Duration.ofSeconds(config.auth().keyCacheSeconds()))
        .build();
  }

  @Override
  public Future<?> start() {
    var bus = vertx.eventBus();
    return Future.all(
        bus.<Resolve>localConsumer(Addresses.AUTH, this::onResolve).completion(),
        bus.<AccountCommand>localConsumer(Addresses.ACCOUNTS, this::onAccount).completion());
  }

  private void onResolve(Message<Resolve> msg) {
    resolve(msg.body().credential()).onComplete(ar -> {
      if (ar.succeeded()) msg.reply(ar.result());
      else ApiException.fail(msg, ar.cause());
    });
  }

  private void onAccount(Message<AccountCommand> msg) {
    AccountCommand cmd = msg.body();
    Future<?> result;
    if (cmd instanceof Signup s) result = signup(s);
    else if (cmd instanceof Login l) result = login(l);
    else if (cmd instanceof CreateKey c) result = createKey(c);
    else if (cmd instanceof ListKeys l) result = controlPlane.listApiKeys(l.tenantId()).map(KeyList::new);
    else if (cmd instanceof RevokeKey r) result = revokeKey(r);
    else result = Future.failedFuture(ApiException.internal("unknown account command"));
    result.onComplete(ar -> {
      if (ar.succeeded()) msg.reply(ar.result());
      else ApiException.fail(msg, ar.cause());
    });
  }

  Future<Principal> resolve(String credential) {
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
      return tokens.verify(credential);
    }
    return Future.failedFuture(ApiException.unauthorized("invalid_credentials",
        "The credential is neither an API key nor an access token."));
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
    return vertx.executeBlocking(() -> passwords.hash(s.password()), false)
        .compose(hash -> controlPlane.createAccount(new NewAccount(tenantId, s.tenantName(), userId, s.email(), hash,
            new NewApiKey(Ids.keyId(), tenantId, "default", ApiKeys.displayPrefix(apiKey), ApiKeys.hash(apiKey),
                Scope.all(), userId, null))))
        .map(v -> new SignupResult(tenantId, userId, apiKey));
  }

  private Future<TokenResult> login(Login l) {
    ApiException denied = ApiException.unauthorized("invalid_login", "The email or password is incorrect.");
    return controlPlane.findLogin(l.email())
        .compose(found -> vertx.executeBlocking(() -> {
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
        }, false));
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
    return controlPlane.insertApiKey(key).map(v -> new CreatedKey(
        new ApiKeyRecord(key.id(), key.tenantId(), key.name(), key.prefix(), key.scopes(), Instant.now(), null, null,
            "active"), secret));
  }

  private Future<Done> revokeKey(RevokeKey r) {
    return controlPlane.revokeApiKey(r.principal().tenantId(), r.keyId()).map(revoked -> {
      if (!revoked) throw ApiException.notFound("No active API key with id " + r.keyId() + ".");
      keysByHash.asMap().values().removeIf(k -> k.map(rec -> rec.id().equals(r.keyId())).orElse(false));
      return new Done();
    });
  }
}
