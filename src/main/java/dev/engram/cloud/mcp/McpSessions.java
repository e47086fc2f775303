package dev.engram.cloud.mcp;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.engram.cloud.auth.Principal;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Sessions of the handshake revisions (2025-03-26 … 2025-11-25): issued by {@code initialize}, bound to the
 * credential that opened them, forgotten after idling or on DELETE. Shared by every HTTP verticle of a node.
 */
public final class McpSessions {

  public record Session(String id, String tenantId, String subject, String protocolVersion) {}

  private final SecureRandom random = new SecureRandom();
  private final Cache<String, Session> sessions;

  public McpSessions(int idleSeconds, long maxSessions) {
    this.sessions = Caffeine.newBuilder()
        .expireAfterAccess(Duration.ofSeconds(idleSeconds))
        .maximumSize(maxSessions)
        .build();
  }

  public Session open(Principal principal, String protocolVersion) {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    Session session = new Session("mcp_" + HexFormat.of().formatHex(bytes), principal.tenantId(), principal.subject(),
        protocolVersion);
    sessions.put(session.id(), session);
    return session;
  }

  /** The session, only when it exists and belongs to this very credential: another tenant's id is simply unknown. */
  public Optional<Session> find(String id, Principal principal) {
    Session session = sessions.getIfPresent(id);
    if (session == null || !session.tenantId().equals(principal.tenantId())
        || !session.subject().equals(principal.subject())) {
      return Optional.empty();
    }
    return Optional.of(session);
  }

  public boolean close(String id, Principal principal) {
    if (find(id, principal).isEmpty()) return false;
    sessions.invalidate(id);
    return true;
  }
}
