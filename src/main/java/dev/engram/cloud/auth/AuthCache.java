package dev.engram.cloud.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.engram.cloud.controlplane.ApiKeyRecord;
import dev.engram.cloud.controlplane.UserLogin;

import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the auth verticle reuses between requests: verified API keys by hash and signed-in users' memberships (each for
 * {@code auth.key_cache_seconds}), and external tokens' principals (for {@code auth.external.token_cache_seconds},
 * never past the token's expiry). A change made on this node evicts what it touches at once; other nodes see it
 * within those times.
 */
final class AuthCache {

  record CachedPrincipal(Principal principal, Duration ttl) {}

  final Cache<String, Optional<ApiKeyRecord>> keysByHash;
  final Cache<String, Optional<UserLogin>> usersById;
  final Cache<String, CachedPrincipal> externalPrincipals;
  /**
   * Counts evictions: a lookup that started before one may have read what it evicted, so it is not cached (a
   * membership removed while a request was reading it must not come back for {@code key_cache_seconds}).
   */
  private final AtomicLong evictions = new AtomicLong();

  AuthCache(int keyCacheSeconds) {
    this.keysByHash = Caffeine.newBuilder().maximumSize(100_000)
        .expireAfterWrite(Duration.ofSeconds(keyCacheSeconds)).build();
    this.usersById = Caffeine.newBuilder().maximumSize(100_000)
        .expireAfterWrite(Duration.ofSeconds(keyCacheSeconds)).build();
    this.externalPrincipals = Caffeine.newBuilder().maximumSize(100_000)
        .expireAfter(Expiry.creating((String key, CachedPrincipal cached) -> cached.ttl())).build();
  }

  long generation() {
    return evictions.get();
  }

  /** Caches a key looked up while no eviction happened since {@code generation}. */
  void putKey(String hash, Optional<ApiKeyRecord> key, long generation) {
    if (evictions.get() == generation) keysByHash.put(hash, key);
  }

  /** Caches a user looked up while no eviction happened since {@code generation}. */
  void putUser(String userId, Optional<UserLogin> user, long generation) {
    if (evictions.get() == generation) usersById.put(userId, user);
  }

  /** Caches an external token's principal resolved while no eviction happened since {@code generation}. */
  void putExternal(String key, CachedPrincipal principal, long generation) {
    if (evictions.get() == generation) externalPrincipals.put(key, principal);
  }

  /** A user's memberships, role or password changed: their sessions, tokens and keys are checked again. */
  void evictUser(String userId) {
    evictions.incrementAndGet();
    usersById.invalidate(userId);
    keysByHash.asMap().values().removeIf(k -> k.map(rec -> userId.equals(rec.userId())).orElse(false));
    externalPrincipals.asMap().values().removeIf(c -> userId.equals(c.principal().userId()));
  }

  void evictKeys(Collection<String> keyIds) {
    evictions.incrementAndGet();
    Set<String> ids = Set.copyOf(keyIds);
    keysByHash.asMap().values().removeIf(k -> k.map(rec -> ids.contains(rec.id())).orElse(false));
  }

  /** The tenant's status or slug changed, or it was deleted: everything that acts in it is checked again. */
  void evictTenant(String tenantId) {
    evictions.incrementAndGet();
    keysByHash.asMap().values().removeIf(k -> k.map(rec -> tenantId.equals(rec.tenantId())).orElse(false));
    usersById.asMap().values().removeIf(u -> u.map(user -> user.memberships().stream()
        .anyMatch(m -> m.tenantId().equals(tenantId))).orElse(false));
    externalPrincipals.asMap().values().removeIf(c -> tenantId.equals(c.principal().tenantId()));
  }
}
