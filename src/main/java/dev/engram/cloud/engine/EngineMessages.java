package dev.engram.cloud.engine;

import dev.engram.cloud.bus.LocalMessage;
import dev.engram.cloud.search.SearchFilter;
import dev.engram.cloud.search.Strategy;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** Commands a tenant engine takes on {@code engram.engine.<tenantId>}, and its reply. */
public final class EngineMessages {

  private EngineMessages() {}

  public sealed interface EngineCommand extends LocalMessage
      permits Create, Get, Update, Delete, ListMemories, Search, Suggest, Stats {
    /** Writes are batched into one transaction (group commit); reads are answered at once. */
    default boolean writes() {
      return false;
    }
  }

  /** A validated new memory. {@code ttlSeconds} is null when not given. */
  public record Create(String content, String memoryType, List<String> tags, JsonObject metadata, double importance,
                       String workspace, String tier, Long ttlSeconds) implements EngineCommand {
    @Override
    public boolean writes() {
      return true;
    }
  }

  public record Get(long id) implements EngineCommand {}

  /** A validated partial update; null fields are left unchanged. */
  public record Update(long id, String content, String memoryType, List<String> tags, JsonObject metadata,
                       Double importance, Long ttlSeconds) implements EngineCommand {
    @Override
    public boolean writes() {
      return true;
    }
  }

  public record Delete(long id) implements EngineCommand {
    @Override
    public boolean writes() {
      return true;
    }
  }

  /** Filters are null when absent; {@code tags} means "has all of these". {@code beforeId} is the cursor (newest first). */
  public record ListMemories(String workspace, List<String> tags, String memoryType, int limit, Long beforeId)
      implements EngineCommand {}

  /**
   * A search (REST {@code POST /v1/search}, MCP {@code memory_search}). {@code strategy} null means the configured
   * default ({@code search.default_strategy}); {@code explain} adds each signal's contribution to every result.
   * The reply is {@code {results: [{memory, score, explain?}], total, strategy, corrected_query?}}: best first,
   * score in [0, 1] (higher is better), {@code strategy} the one that ran (auto resolved), {@code corrected_query}
   * present when typo correction changed words. For keyword, {@code total} counts every match; for semantic and
   * hybrid it counts the candidates considered (at most {@code search.candidates} per list).
   */
  public record Search(String query, int limit, SearchFilter filter, Strategy strategy, boolean explain)
      implements EngineCommand {
    public Search {
      if (filter == null) filter = SearchFilter.NONE;
    }

    /** The original request's shape: keyword-or-default strategy, one workspace, all these tags, one type. */
    public Search(String query, int limit, String workspace, List<String> tags, String memoryType) {
      this(query, limit, SearchFilter.of(workspace, tags, memoryType), null, false);
    }
  }

  /**
   * Typo correction of a query against the tenant's own words (REST {@code POST /v1/search/suggest}, MCP
   * {@code memory_search_suggest}). Reply: {@code {query, suggestion, changed, corrections: [{word, suggestion,
   * distance}]}}; {@code suggestion} is the query with corrected words replaced (the query itself when nothing
   * needed correcting).
   */
  public record Suggest(String query) implements EngineCommand {}

  public record Stats() implements EngineCommand {}

  /** The engine's answer, already in the shape the API returns (null body for a delete). */
  public record Reply(JsonObject body) implements LocalMessage {}
}
