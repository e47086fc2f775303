package dev.engram.cloud.model;

import dev.engram.cloud.bus.ApiException;

import java.util.Set;

/** Engram's link (crossref) edge types, snake_case; {@code related} is accepted as an alias of {@code related_to}. */
public final class EdgeTypes {

  public static final String DEFAULT = "related_to";
  public static final Set<String> ALL = Set.of("related_to", "supersedes", "contradicts", "implements", "extends",
      "references", "depends_on", "blocks", "follows_up");

  private EdgeTypes() {}

  /** The stored edge type for {@code raw}: the default when null, otherwise one of {@link #ALL} (400 if not). */
  public static String normalize(String raw) {
    if (raw == null) return DEFAULT;
    String type = raw.trim();
    if (type.equals("related")) return DEFAULT;
    if (!ALL.contains(type)) {
      throw ApiException.badRequest("invalid_field", "Field 'edge_type' must be one of "
          + String.join(", ", ALL.stream().sorted().toList()) + "; got '" + raw + "'.");
    }
    return type;
  }
}
