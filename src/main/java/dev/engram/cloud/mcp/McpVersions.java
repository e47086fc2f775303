package dev.engram.cloud.mcp;

import java.util.List;

/** The MCP protocol revisions this server speaks, and how each one behaves. */
public final class McpVersions {

  public static final String V2025_03_26 = "2025-03-26";
  public static final String V2025_06_18 = "2025-06-18";
  public static final String V2025_11_25 = "2025-11-25";
  /** The stateless revision: no handshake, no sessions, per-request {@code _meta} and routing headers. */
  public static final String V2026_07_28 = "2026-07-28";

  /** Newest first. */
  public static final List<String> SUPPORTED = List.of(V2026_07_28, V2025_11_25, V2025_06_18, V2025_03_26);
  /** Revisions negotiated by {@code initialize}; newest first. */
  public static final List<String> HANDSHAKE = List.of(V2025_11_25, V2025_06_18, V2025_03_26);
  /** What a client that sends no version header is assumed to speak (the transport spec's rule). */
  public static final String DEFAULT_WITHOUT_HEADER = V2025_03_26;

  private McpVersions() {}

  public static boolean supported(String version) {
    return version != null && SUPPORTED.contains(version);
  }

  public static boolean stateless(String version) {
    return V2026_07_28.equals(version);
  }

  /** JSON-RPC batches exist only in 2025-03-26; later revisions removed them. */
  public static boolean allowsBatch(String version) {
    return V2025_03_26.equals(version);
  }

  /** {@code outputSchema} (and {@code structuredContent}) arrived in 2025-06-18. */
  public static boolean hasOutputSchema(String version) {
    return !V2025_03_26.equals(version);
  }

  /** The version answered to an {@code initialize} asking for {@code requested}: the same if we speak it, else our newest. */
  public static String negotiate(String requested) {
    return HANDSHAKE.contains(requested) ? requested : HANDSHAKE.get(0);
  }
}
