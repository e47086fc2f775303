package dev.engram.cloud.api;

import dev.engram.cloud.context.ContextPacker;
import dev.engram.cloud.context.ContextPacker.Included;
import dev.engram.cloud.context.ContextPacker.Packed;
import dev.engram.cloud.context.ContextPacker.Piece;
import dev.engram.cloud.context.Tokens;
import dev.engram.cloud.engine.EngineMessages.Caps;
import dev.engram.cloud.engine.EngineMessages.CreateBlock;
import dev.engram.cloud.engine.EngineMessages.EditBlock;
import dev.engram.cloud.engine.EngineMessages.GetBlock;
import dev.engram.cloud.engine.EngineMessages.GetMany;
import dev.engram.cloud.engine.EngineMessages.ListBlocks;
import dev.engram.cloud.engine.EngineMessages.Search;
import dev.engram.cloud.engine.EngineReplies.Block;
import dev.engram.cloud.engine.EngineReplies.BlockList;
import dev.engram.cloud.engine.EngineReplies.Memory;
import dev.engram.cloud.engine.EngineReplies.SearchHit;
import dev.engram.cloud.engine.EngineReplies.SearchResults;
import dev.engram.cloud.model.Workspaces;
import dev.engram.cloud.search.SearchFilter;
import dev.engram.cloud.search.Strategy;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Context for a model's turn, memory blocks and token estimates ({@code buildContext}, {@code compressForContext},
 * {@code estimateTokens}, {@code *Block}): the engine commands each needs, and the answer made from their replies.
 * REST routes and MCP tools call the same methods.
 */
public final class ContextRequests {

  private static final int DEFAULT_BUDGET = 4096;
  private static final int DEFAULT_CANDIDATES = 100;
  private static final int DEFAULT_BLOCK_TOKENS = 2048;
  /** In a context, a memory cut shorter than this many tokens is not worth its place. */
  private static final int MIN_CONTEXT_CUT = 16;

  /** {@code estimateTokens}. */
  public JsonObject estimate(JsonObject in) {
    String content = in.getString("content");
    return new JsonObject().put("tokens", Tokens.estimate(content))
        .put("characters", content.codePointCount(0, content.length())).put("method", Tokens.METHOD);
  }

  /** {@code buildContext}'s search, in the one workspace named (or all). */
  public Search contextSearch(JsonObject in) {
    return search(in.getString("query"), in);
  }

  /**
   * {@code buildContext}'s blocks: the named workspace's, else the default workspace's as far as the caller may see
   * it (a key restricted to other workspaces gets none); null when not wanted.
   */
  public ListBlocks contextBlocks(JsonObject in) {
    if (!in.getBoolean("include_blocks", true)) return null;
    String named = Inputs.workspace(in, "workspace", null);
    return named != null ? new ListBlocks(named, null, null) : new ListBlocks(null, null, Set.of(Workspaces.DEFAULT));
  }

  /** {@code buildContext}: blocks first, then the results in the strategy's order, within the budget. */
  public JsonObject build(JsonObject in, BlockList blocks, SearchResults results) {
    int budget = in.getInteger("token_budget", DEFAULT_BUDGET);
    String strategy = in.getString("strategy", "greedy");
    List<Piece> pieces = new ArrayList<>();
    if (blocks != null) {
      for (Block b : blocks.blocks()) {
        pieces.add(new Piece(0, b.content(), 0, new JsonObject().put("block_type", b.blockType())
            .put("label", b.label())));
      }
    }
    List<SearchHit> hits = new ArrayList<>(results.results());
    if ("recency".equals(strategy)) {
      hits.sort(Comparator.comparing((SearchHit h) -> h.memory().createdAt()).reversed());
    }
    for (SearchHit hit : hits) pieces.add(new Piece(hit.memory().id(), hit.memory().content(), hit.score(), null));
    Packed packed = ContextPacker.pack(pieces, budget, "balanced".equals(strategy), MIN_CONTEXT_CUT);
    JsonArray memories = new JsonArray();
    JsonArray usedBlocks = new JsonArray();
    for (Included i : packed.included()) {
      if (i.piece().id() == 0) {
        usedBlocks.add(i.piece().describe().copy().put("tokens", i.tokens()));
      } else {
        memories.add(new JsonObject().put("id", i.piece().id()).put("score", i.piece().score())
            .put("tokens", i.tokens()).put("truncated", i.truncated()));
      }
    }
    return new JsonObject().put("prompt", packed.text()).put("token_estimate", packed.tokens())
        .put("total_budget", budget).put("memories_used", memories.size()).put("strategy", strategy)
        .put("memories", memories).put("blocks", usedBlocks)
        .put("omitted", ContextPacker.ids(packed.omitted()).size());
  }

  /** {@code compressForContext} by ids: the memories, in the order given; null when a query was given instead. */
  public GetMany compressMemories(JsonObject in) {
    JsonArray ids = in.getJsonArray("memory_ids");
    boolean byQuery = in.containsKey("query");
    if ((ids == null) == !byQuery) {
      throw Violations.withPointer("invalid_field", "Give either 'memory_ids' or 'query', one of them.",
          "/memory_ids");
    }
    if (byQuery) return null;
    List<Long> list = new ArrayList<>();
    for (Object id : ids) list.add(((Number) id).longValue());
    return new GetMany(list, null);
  }

  /** {@code compressForContext} by query: its results, best first. */
  public Search compressSearch(JsonObject in) {
    return search(in.getString("query"), in);
  }

  /** {@code compressForContext}: whole while the budget allows, the first that does not fit cut, the rest left out. */
  public JsonObject compress(JsonObject in, List<Memory> memories) {
    int budget = in.getInteger("token_budget");
    List<Piece> pieces = memories.stream().map(m -> new Piece(m.id(), m.content(), 0, null)).toList();
    Packed packed = ContextPacker.pack(pieces, budget, true, 1);
    JsonArray out = new JsonArray();
    int total = 0;
    for (Included i : packed.included()) {
      out.add(new JsonObject().put("id", i.piece().id()).put("content", i.text()).put("tokens", i.tokens())
          .put("original_tokens", Tokens.estimate(i.piece().text())).put("truncated", i.truncated()));
      total += i.tokens();
    }
    return new JsonObject().put("memories", out).put("total_tokens", total).put("token_budget", budget)
        .put("omitted", ContextPacker.ids(packed.omitted()));
  }

  public CreateBlock createBlock(JsonObject in, Caps caps) {
    return new CreateBlock(workspace(in), in.getString("block_type"), in.getString("label").trim(),
        in.getString("content"), in.getInteger("max_tokens", DEFAULT_BLOCK_TOKENS), caps);
  }

  public EditBlock editBlock(JsonObject in, Caps caps) {
    return new EditBlock(workspace(in), in.getString("block_type"), in.getString("label").trim(),
        in.getString("content"), in.getString("reason"), caps);
  }

  public GetBlock getBlock(JsonObject in) {
    return new GetBlock(workspace(in), in.getString("block_type"), in.getString("label").trim());
  }

  public ListBlocks listBlocks(JsonObject in) {
    return new ListBlocks(Inputs.workspace(in, "workspace", null), in.getString("block_type"), null);
  }

  /** An agent's question, so the strategy agents get ({@code auto}, as {@code memory_search} over MCP). */
  private static Search search(String query, JsonObject in) {
    SearchFilter filter = SearchFilter.of(Inputs.workspace(in, "workspace", null), null, null);
    return new Search(query, in.getInteger("limit", DEFAULT_CANDIDATES), filter, Strategy.AUTO, false);
  }

  private static String workspace(JsonObject in) {
    return Inputs.workspace(in, "workspace", Workspaces.DEFAULT);
  }
}
