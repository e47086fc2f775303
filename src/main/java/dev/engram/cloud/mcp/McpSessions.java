package dev.engram.cloud.mcp;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Scheduler;
import dev.engram.cloud.auth.Principal;
import dev.engram.cloud.config.EngramConfig;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sessions of the handshake revisions (2025-03-26 … 2025-11-25): issued by {@code initialize}, bound to the
 * credential that opened them, forgotten after idling or on DELETE. Shared by every HTTP verticle of a node.
 *
 * <p>Capped per credential and per tenant, and only ever ended by their own owner: a credential at its cap ends its
 * own least recently used session, a tenant at its cap its own least recently used one. The node cap is a memory
 * bound; a credential that reaches it rotates its own (or its tenant's) sessions, and one that holds none gets no
 * session: {@code initialize} still succeeds (the protocol lets a server run without sessions, and this transport
 * serves requests that carry none), but nobody else's session is ended to make room.
 */
public final class McpSessions {

  public record Session(String id, String tenantId, String subject, String protocolVersion) {}

  /** A session and when it was last used (System.nanoTime), to pick the least recently used one of an owner. */
  private record Held(Session session, AtomicLong lastUsed) {
    Held(Session session) {
      this(session, new AtomicLong(System.nanoTime()));
    }
  }

  private final SecureRandom random = new SecureRandom();
  private final Cache<String, Held> sessions;
  /** Session ids by owner: {@code tenant/subject} for a credential, the tenant id for a tenant. */
  private final Map<String, Set<String>> byCredential = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> byTenant = new ConcurrentHashMap<>();
  private final long maxSessions;
  private final int perTenant;
  private final int perCredential;

  public McpSessions(EngramConfig.Mcp config) {
    this.maxSessions = config.maxSessions();
    this.perTenant = config.maxSessionsPerTenant();
    this.perCredential = config.maxSessionsPerKey();
    this.sessions = Caffeine.newBuilder()
        .expireAfterAccess(Duration.ofSeconds(config.sessionIdleSeconds()))
        .scheduler(Scheduler.systemScheduler())
        .removalListener((String id, Held held, RemovalCause cause) -> {
          if (held != null) unindex(held.session());
        })
        .build();
  }

  /**
   * A new session for this credential, making room among its own sessions (or its tenant's) when a cap is reached;
   * empty when the node is full and the caller holds no session it could give up.
   */
  public synchronized Optional<Session> open(Principal principal, String protocolVersion) {
    Set<String> mine = live(byCredential, credential(principal));
    Set<String> ours = live(byTenant, principal.tenantId());
    boolean nodeFull = sessions.estimatedSize() >= maxSessions;
    if (nodeFull) {
      sessions.cleanUp(); // the count may still hold sessions that just expired
      nodeFull = sessions.estimatedSize() >= maxSessions;
    }
    Set<String> makeRoomIn = mine.size() >= perCredential ? mine
        : ours.size() >= perTenant ? ours
        : nodeFull ? (!mine.isEmpty() ? mine : ours)
        : Set.of();
    if (!makeRoomIn.isEmpty()) {
      end(leastRecentlyUsed(makeRoomIn));
    } else if (nodeFull) {
      return Optional.empty();
    }
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    Session session = new Session("mcp_" + HexFormat.of().formatHex(bytes), principal.tenantId(), principal.subject(),
        protocolVersion);
    sessions.put(session.id(), new Held(session));
    byCredential.computeIfAbsent(credential(principal), k -> ConcurrentHashMap.newKeySet()).add(session.id());
    byTenant.computeIfAbsent(principal.tenantId(), k -> ConcurrentHashMap.newKeySet()).add(session.id());
    return Optional.of(session);
  }

  /** The session, only when it exists and belongs to this very credential: another tenant's id is simply unknown. */
  public Optional<Session> find(String id, Principal principal) {
    Held held = sessions.getIfPresent(id);
    if (held == null || !held.session().tenantId().equals(principal.tenantId())
        || !held.session().subject().equals(principal.subject())) {
      return Optional.empty();
    }
    held.lastUsed().set(System.nanoTime());
    return Optional.of(held.session());
  }

  public synchronized boolean close(String id, Principal principal) {
    Optional<Session> session = find(id, principal);
    session.ifPresent(this::end);
    return session.isPresent();
  }

  /**
   * The owner's sessions that still exist: ids of sessions that just expired (whose removal notice has not run yet)
   * are dropped first, so that they neither count against a cap nor get chosen to make room.
   */
  private Set<String> live(Map<String, Set<String>> index, String owner) {
    Set<String> ids = index.get(owner);
    if (ids == null) return Set.of();
    for (String id : ids) {
      if (!sessions.asMap().containsKey(id)) remove(index, owner, id);
    }
    return index.getOrDefault(owner, Set.of());
  }

  /** Of these sessions, the one idle longest; a scan bounded by the per-credential or per-tenant cap. */
  private Session leastRecentlyUsed(Set<String> ids) {
    Held oldest = null;
    for (String id : ids) {
      Held held = sessions.policy().getIfPresentQuietly(id); // looking is not a use
      if (held != null && (oldest == null || held.lastUsed().get() - oldest.lastUsed().get() < 0)) oldest = held;
    }
    return oldest == null ? null : oldest.session();
  }

  /** Removed from the indexes at once (the removal listener runs later, on another thread). */
  private void end(Session session) {
    if (session == null) return;
    sessions.invalidate(session.id());
    unindex(session);
  }

  private void unindex(Session session) {
    remove(byCredential, session.tenantId() + "/" + session.subject(), session.id());
    remove(byTenant, session.tenantId(), session.id());
  }

  private static void remove(Map<String, Set<String>> index, String owner, String id) {
    index.computeIfPresent(owner, (k, ids) -> {
      ids.remove(id);
      return ids.isEmpty() ? null : ids;
    });
  }

  private static String credential(Principal principal) {
    return principal.tenantId() + "/" + principal.subject();
  }
}
