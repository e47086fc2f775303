package dev.engram.cloud.engine;

import dev.engram.cloud.bus.LocalMessage;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** Commands a tenant engine takes on {@code engram.engine.<tenantId>}, and its reply. */
public final class EngineMessages {

  private EngineMessages() {}

  public sealed interface EngineCommand extends LocalMessage
      permits Create, Get, Update, Delete, ListMemories, Search, Stats {
    /** Writes are batched into one transaction (group commit); reads are answered at once. */
    default boolean writes() {
      return false;
    }
  }

  /**
   * The plan caps a write must respect, carried in the write so that the engine (the tenant's single writer, which
   * knows its count and size) enforces them exactly. Null means unlimited.
   */
  public record Caps(String plan, Long memories, Long storageBytes) {
    public static final Caps NONE = new Caps(null, null, null);
  }

  /** A validated new memory. {@code ttlSeconds} is null when not given. */
  public record Create(String content, String memoryType, List<String> tags, JsonObject metadata, double importance,
                       String workspace, String tier, Long ttlSeconds, Caps caps) implements EngineCommand {
    @Override
    public boolean writes() {
      return true;
    }
  }

  public record Get(long id) implements EngineCommand {}

  /** A validated partial update; null fields are left unchanged. */
  public record Update(long id, String content, String memoryType, List<String> tags, JsonObject metadata,
                       Double importance, Long ttlSeconds, Caps caps) implements EngineCommand {
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

  public record Search(String query, int limit, String workspace, List<String> tags, String memoryType)
      implements EngineCommand {}

  public record Stats() implements EngineCommand {}

  /** The engine's answer, already in the shape the API returns (null body for a delete). */
  public record Reply(JsonObject body) implements LocalMessage {}
}
