package dev.engram.cloud.engine;

import dev.engram.cloud.bus.LocalMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a tenant engine answers: one record per kind of reply, each command typed with its own
 * ({@code EngineCommand<R>}), so callers read fields instead of re-parsing JSON. {@link EngineReply#toJson} is the
 * REST shape of openapi.yaml (the component named in each record's comment); MCP tools answer the same JSON except
 * where Engram's tools differ (memory_list). Records built from the engine's rows are immutable snapshots: the JSON
 * objects they hold (metadata, explain) are not shared with anything that changes them.
 */
public final class EngineReplies {

  private EngineReplies() {}

  /** An engine's answer. */
  public sealed interface EngineReply extends LocalMessage
      permits Memory, MemoryPage, Deleted, SearchResults, Suggestion, MemoryStats, TagList, VersionPage, ActivityList,
      WorkspaceSummary, WorkspacePage, Moved, MemoryLink, Unlinked, RelatedList, ExportBatch, ImportResult, ScanResult,
      ProjectMemories, MemoryList, Block, BlockList, Identity, IdentityResolution, FeedbackRecorded, FeedbackSummary {
    /** The answer as the API returns it; null when there is no body (a delete). */
    JsonObject toJson();
  }

  /** openapi.yaml {@code Memory}. */
  public record Memory(long id, String content, String memoryType, List<String> tags, JsonObject metadata,
                       double importance, String workspace, String tier, String expiresAt, String contentHash,
                       int version, String createdAt, String updatedAt, long accessCount, String lastAccessedAt)
      implements EngineReply {
    public static Memory of(JsonObject m) {
      return new Memory(m.getLong("id"), m.getString("content"), m.getString("memory_type"), strings(m.getJsonArray("tags")),
          m.getJsonObject("metadata"), m.getDouble("importance"), m.getString("workspace"), m.getString("tier"),
          m.getString("expires_at"), m.getString("content_hash"), m.getInteger("version"), m.getString("created_at"),
          m.getString("updated_at"), m.getLong("access_count", 0L), m.getString("last_accessed_at"));
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("id", id).put("content", content).put("memory_type", memoryType)
          .put("tags", new JsonArray(tags)).put("metadata", metadata).put("importance", importance)
          .put("workspace", workspace).put("tier", tier).put("expires_at", expiresAt).put("content_hash", contentHash)
          .put("version", version).put("created_at", createdAt).put("updated_at", updatedAt)
          .put("access_count", accessCount).put("last_accessed_at", lastAccessedAt);
    }

    /** openapi.yaml {@code ExportItem}: Engram's export format. */
    public JsonObject toExportJson() {
      return new JsonObject().put("id", id).put("content", content).put("memory_type", memoryType)
          .put("tags", new JsonArray(tags)).put("metadata", metadata).put("importance", importance)
          .put("workspace", workspace).put("tier", tier).put("created_at", createdAt).put("updated_at", updatedAt);
    }

    public Memory withContent(String newContent) {
      return new Memory(id, newContent, memoryType, tags, metadata, importance, workspace, tier, expiresAt, contentHash,
          version, createdAt, updatedAt, accessCount, lastAccessedAt);
    }
  }

  /** openapi.yaml {@code MemoryPage}: newest first. */
  public record MemoryPage(List<Memory> data, String nextCursor) implements EngineReply {
    public static MemoryPage of(JsonObject page) {
      return new MemoryPage(memories(page.getJsonArray("data")), page.getString("next_cursor"));
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("data", json(data)).put("next_cursor", nextCursor);
    }
  }

  /** A memory deleted (REST answers 204 without a body). */
  public record Deleted(long id) implements EngineReply {
    @Override
    public JsonObject toJson() {
      return null;
    }
  }

  /** One search result: the memory, its score in [0, 1], and each signal's part when asked ({@code explain}). */
  /** Memories in the order asked for ({@code {memories:[...]}}). */
  public record MemoryList(List<Memory> memories) implements EngineReply {
    @Override
    public JsonObject toJson() {
      return new JsonObject().put("memories", json(memories));
    }
  }

  /** openapi.yaml {@code Block}: a memory block and its size in estimated tokens. */
  public record Block(long id, String workspace, String blockType, String label, String content, int maxTokens,
                      int version, String createdAt, String updatedAt) implements EngineReply {
    @Override
    public JsonObject toJson() {
      return new JsonObject().put("id", id).put("workspace", workspace).put("block_type", blockType)
          .put("label", label).put("content", content).put("tokens", dev.engram.cloud.context.Tokens.estimate(content))
          .put("max_tokens", maxTokens).put("version", version).put("created_at", createdAt)
          .put("updated_at", updatedAt);
    }
  }

  /** openapi.yaml {@code BlockList}. */
  public record BlockList(List<Block> blocks, boolean truncated) implements EngineReply {
    @Override
    public JsonObject toJson() {
      JsonArray out = new JsonArray();
      blocks.forEach(b -> out.add(b.toJson()));
      return new JsonObject().put("blocks", out).put("count", blocks.size()).put("truncated", truncated);
    }
  }

  /** openapi.yaml {@code Identity}. */
  public record Identity(long id, String canonicalId, String displayName, String entityType, String description,
                         JsonObject metadata, List<String> aliases, String createdAt, String updatedAt)
      implements EngineReply {
    @Override
    public JsonObject toJson() {
      return new JsonObject().put("id", id).put("canonical_id", canonicalId).put("display_name", displayName)
          .put("entity_type", entityType).put("description", description).put("aliases", new JsonArray(aliases))
          .put("metadata", metadata).put("created_at", createdAt).put("updated_at", updatedAt);
    }
  }

  /** openapi.yaml {@code IdentityResolution}: {@code identity} null when no identity has the alias. */
  public record IdentityResolution(String alias, Identity identity) implements EngineReply {
    @Override
    public JsonObject toJson() {
      return new JsonObject().put("alias", alias).put("found", identity != null)
          .put("identity", identity == null ? null : identity.toJson());
    }
  }

  /** openapi.yaml {@code Feedback}. */
  public record FeedbackRecorded(long id, long memoryId, String query, String signal, String createdAt)
      implements EngineReply {
    @Override
    public JsonObject toJson() {
      return new JsonObject().put("id", id).put("memory_id", memoryId).put("query", query).put("signal", signal)
          .put("created_at", createdAt);
    }
  }

  /** openapi.yaml {@code FeedbackStats}: the marks, and the most marked memories. */
  public record FeedbackSummary(long total, long useful, long notUseful, long memoriesMarked, JsonArray memories)
      implements EngineReply {
    @Override
    public JsonObject toJson() {
      return new JsonObject().put("total", total).put("useful", useful).put("not_useful", notUseful)
          .put("memories_marked", memoriesMarked).put("memories", memories.copy());
    }
  }

  public record SearchHit(Memory memory, double score, JsonObject explain) {}

  /**
   * openapi.yaml {@code SearchResults}: best first. {@code totalExact} is false when {@code total} is a lower bound
   * (a keyword search counts its matches exactly only up to a bound).
   */
  public record SearchResults(List<SearchHit> results, long total, boolean totalExact, String strategy,
                              String correctedQuery, boolean partial) implements EngineReply {
    /** Built once, at the end of a search, from what the strategies produced. */
    public static SearchResults of(JsonObject out) {
      List<SearchHit> hits = new ArrayList<>();
      for (Object r : out.getJsonArray("results")) {
        JsonObject result = (JsonObject) r;
        hits.add(new SearchHit(Memory.of(result.getJsonObject("memory")), result.getDouble("score"),
            result.getJsonObject("explain")));
      }
      return new SearchResults(List.copyOf(hits), out.getLong("total"), out.getBoolean("total_exact", true),
          out.getString("strategy"), out.getString("corrected_query"), out.getBoolean("partial", false));
    }

    @Override
    public JsonObject toJson() {
      JsonArray out = new JsonArray();
      for (SearchHit hit : results) {
        JsonObject result = new JsonObject().put("memory", hit.memory().toJson()).put("score", hit.score());
        if (hit.explain() != null) result.put("explain", hit.explain());
        out.add(result);
      }
      JsonObject json = new JsonObject().put("results", out).put("total", total);
      if (!totalExact) json.put("total_exact", false);
      json.put("strategy", strategy);
      if (correctedQuery != null) json.put("corrected_query", correctedQuery);
      if (partial) json.put("partial", true);
      return json;
    }
  }

  /** One corrected word of a query. */
  public record Correction(String word, String suggestion, int distance) {}

  /** openapi.yaml {@code Suggestion}. */
  public record Suggestion(String query, String suggestion, boolean changed, List<Correction> corrections,
                           boolean partial) implements EngineReply {
    public static Suggestion of(JsonObject out) {
      List<Correction> corrections = new ArrayList<>();
      for (Object c : out.getJsonArray("corrections")) {
        JsonObject correction = (JsonObject) c;
        corrections.add(new Correction(correction.getString("word"), correction.getString("suggestion"),
            correction.getInteger("distance")));
      }
      return new Suggestion(out.getString("query"), out.getString("suggestion"), out.getBoolean("changed"),
          List.copyOf(corrections), out.getBoolean("partial", false));
    }

    @Override
    public JsonObject toJson() {
      JsonArray list = new JsonArray();
      corrections.forEach(c -> list.add(new JsonObject().put("word", c.word()).put("suggestion", c.suggestion())
          .put("distance", c.distance())));
      JsonObject json = new JsonObject().put("query", query).put("suggestion", suggestion).put("changed", changed)
          .put("corrections", list);
      if (partial) json.put("partial", true);
      return json;
    }
  }

  /** openapi.yaml {@code Stats}. */
  public record MemoryStats(long totalMemories, Map<String, Long> byWorkspace, Map<String, Long> byType,
                            Map<String, Long> byTier, long databaseSizeBytes, long vectorsPending)
      implements EngineReply {
    @Override
    public JsonObject toJson() {
      return new JsonObject().put("total_memories", totalMemories).put("by_workspace", new JsonObject(copy(byWorkspace)))
          .put("by_type", new JsonObject(copy(byType))).put("by_tier", new JsonObject(copy(byTier)))
          .put("database_size_bytes", databaseSizeBytes).put("vectors_pending", vectorsPending);
    }

    private static Map<String, Object> copy(Map<String, Long> counts) {
      return new LinkedHashMap<>(counts);
    }
  }

  /** A tag with how many live memories carry it and when one of them last changed. */
  public record TagCount(String name, long count, String lastUsed) {}

  /** openapi.yaml {@code TagList}: most used first. */
  public record TagList(List<TagCount> tags, boolean truncated) implements EngineReply {
    @Override
    public JsonObject toJson() {
      JsonArray out = new JsonArray();
      tags.forEach(t -> out.add(new JsonObject().put("name", t.name()).put("count", t.count())
          .put("last_used", t.lastUsed())));
      return new JsonObject().put("tags", out).put("truncated", truncated);
    }
  }

  /** One version of a memory. */
  public record Version(int version, String content, List<String> tags, JsonObject metadata, String workspace,
                        String createdAt) {}

  /** openapi.yaml {@code VersionPage}: newest first. */
  public record VersionPage(long id, List<Version> versions, String nextCursor) implements EngineReply {
    @Override
    public JsonObject toJson() {
      JsonArray out = new JsonArray();
      versions.forEach(v -> out.add(new JsonObject().put("version", v.version()).put("content", v.content())
          .put("tags", new JsonArray(v.tags())).put("metadata", v.metadata()).put("workspace", v.workspace())
          .put("created_at", v.createdAt())));
      return new JsonObject().put("id", id).put("versions", out).put("next_cursor", nextCursor);
    }
  }

  /** A memory created or changed recently. */
  public record Activity(long id, String preview, String memoryType, double importance, String workspace,
                         List<String> tags, String createdAt, String updatedAt) {}

  /** openapi.yaml {@code ActivityList}: latest change first. */
  public record ActivityList(List<Activity> activities, String since, String workspace) implements EngineReply {
    @Override
    public JsonObject toJson() {
      JsonArray out = new JsonArray();
      activities.forEach(a -> out.add(new JsonObject().put("id", a.id()).put("preview", a.preview())
          .put("memory_type", a.memoryType()).put("importance", a.importance()).put("workspace", a.workspace())
          .put("tags", new JsonArray(a.tags())).put("created_at", a.createdAt()).put("updated_at", a.updatedAt())));
      return new JsonObject().put("activities", out).put("count", activities.size()).put("since", since)
          .put("workspace", workspace);
    }
  }

  /** openapi.yaml {@code WorkspaceSummary}. */
  public record WorkspaceSummary(String workspace, long memoryCount, long permanentCount, long dailyCount,
                                 String firstMemoryAt, String lastMemoryAt, List<String> topTags,
                                 double avgImportance) implements EngineReply {
    @Override
    public JsonObject toJson() {
      return new JsonObject().put("workspace", workspace).put("memory_count", memoryCount)
          .put("permanent_count", permanentCount).put("daily_count", dailyCount).put("first_memory_at", firstMemoryAt)
          .put("last_memory_at", lastMemoryAt).put("top_tags", new JsonArray(topTags))
          .put("avg_importance", avgImportance);
    }
  }

  /** openapi.yaml {@code WorkspaceList}: largest first. */
  public record WorkspacePage(List<WorkspaceSummary> workspaces, boolean truncated) implements EngineReply {
    @Override
    public JsonObject toJson() {
      JsonArray out = new JsonArray();
      workspaces.forEach(w -> out.add(w.toJson()));
      return new JsonObject().put("count", workspaces.size()).put("workspaces", out).put("truncated", truncated);
    }
  }

  /** openapi.yaml {@code Moved}. */
  public record Moved(Memory memory) implements EngineReply {
    @Override
    public JsonObject toJson() {
      return new JsonObject().put("success", true).put("memory", memory.toJson());
    }
  }

  /** openapi.yaml {@code Link}; {@code direction} (from the memory asked about) only in a listing of related links. */
  public record MemoryLink(long fromId, long toId, String edgeType, double strength, String source,
                           String sourceContext, String createdAt, String direction) implements EngineReply {
    @Override
    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("from_id", fromId).put("to_id", toId).put("edge_type", edgeType)
          .put("strength", strength).put("source", source).put("source_context", sourceContext)
          .put("created_at", createdAt);
      if (direction != null) json.put("direction", direction);
      return json;
    }
  }

  /** openapi.yaml {@code Unlinked}. */
  public record Unlinked() implements EngineReply {
    @Override
    public JsonObject toJson() {
      return new JsonObject().put("unlinked", true);
    }
  }

  /** openapi.yaml {@code RelatedList}: strongest first. */
  public record RelatedList(long id, List<MemoryLink> related, boolean truncated) implements EngineReply {
    @Override
    public JsonObject toJson() {
      JsonArray out = new JsonArray();
      related.forEach(l -> out.add(l.toJson()));
      return new JsonObject().put("id", id).put("related", out).put("truncated", truncated);
    }
  }

  /**
   * One page of an export, oldest first: the memories, the id to continue after (null on the last page), and the
   * size of the page's content, tags and metadata as stored (for callers that bound an answer built in memory).
   */
  public record ExportBatch(List<Memory> memories, Long nextAfterId, long storedChars) implements EngineReply {
    @Override
    public JsonObject toJson() {
      JsonArray out = new JsonArray();
      memories.forEach(m -> out.add(m.toExportJson()));
      return new JsonObject().put("memories", out).put("next_after_id", nextAfterId).put("stored_chars", storedChars);
    }
  }

  /** openapi.yaml {@code ImportResult}. */
  public record ImportResult(int imported, int skipped) implements EngineReply {
    @Override
    public JsonObject toJson() {
      return new JsonObject().put("imported", imported).put("skipped", skipped).put("failed", 0)
          .put("errors", new JsonArray());
    }
  }

  /** What a project scan changed (the route's answer adds the request's own counts: ScanSummary). */
  public record ScanResult(int created, int updated, int retired) implements EngineReply {
    @Override
    public JsonObject toJson() {
      return new JsonObject().put("memories_created", created).put("memories_updated", updated)
          .put("memories_retired", retired);
    }
  }

  /** openapi.yaml {@code ProjectContext}: each file's memory, then its sections in file order. */
  public record ProjectMemories(String project, String workspace, List<Memory> memories) implements EngineReply {
    @Override
    public JsonObject toJson() {
      return new JsonObject().put("project", project).put("workspace", workspace).put("count", memories.size())
          .put("memories", json(memories));
    }
  }

  static List<Memory> memories(JsonArray rows) {
    List<Memory> out = new ArrayList<>(rows.size());
    for (Object row : rows) out.add(Memory.of((JsonObject) row));
    return List.copyOf(out);
  }

  private static JsonArray json(List<Memory> memories) {
    JsonArray out = new JsonArray();
    memories.forEach(m -> out.add(m.toJson()));
    return out;
  }

  private static List<String> strings(JsonArray array) {
    List<String> out = new ArrayList<>(array.size());
    for (Object item : array) out.add((String) item);
    return List.copyOf(out);
  }
}
