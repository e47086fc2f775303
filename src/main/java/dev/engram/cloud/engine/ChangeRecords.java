package dev.engram.cloud.engine;

import dev.engram.cloud.engine.EngineMessages.Caps;
import dev.engram.cloud.engine.EngineMessages.Create;
import dev.engram.cloud.engine.EngineMessages.CreateBlock;
import dev.engram.cloud.engine.EngineMessages.CreateIdentity;
import dev.engram.cloud.engine.EngineMessages.Delete;
import dev.engram.cloud.engine.EngineMessages.EditBlock;
import dev.engram.cloud.engine.EngineMessages.Import;
import dev.engram.cloud.engine.EngineMessages.ImportedMemory;
import dev.engram.cloud.engine.EngineMessages.Link;
import dev.engram.cloud.engine.EngineMessages.MoveWorkspace;
import dev.engram.cloud.engine.EngineMessages.RecordFeedback;
import dev.engram.cloud.engine.EngineMessages.ScanProject;
import dev.engram.cloud.engine.EngineMessages.Unlink;
import dev.engram.cloud.engine.EngineMessages.Update;
import dev.engram.cloud.engine.EngineMessages.Write;
import dev.engram.cloud.projectcontext.ContextFile;
import dev.engram.cloud.projectcontext.ContextSection;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The change log's records: one per committed group of writes, holding the engine's own commands as they ran (after
 * the workspace guard, without their plan caps: they were enforced when the write was accepted), the instant they
 * ran at, and the memory count after them. Replayed in order through the same engine code on the state they started
 * from (a snapshot at the record before), they produce the same database: ids come from SQLite in the same order,
 * every time-dependent choice reads the recorded instant, and writes that failed were never recorded.
 */
public final class ChangeRecords {

  private ChangeRecords() {}

  /** One committed group of writes: {@code ops} are the encoded commands, {@code op: "sweep"} an expiry sweep. */
  public record ChangeRecord(long seq, String generation, Instant at, long memories, JsonArray ops) {

    public byte[] toBytes() {
      return new JsonObject().put("seq", seq).put("generation", generation).put("at", at.toString())
          .put("memories", memories).put("ops", ops).encode().getBytes(StandardCharsets.UTF_8);
    }

    public static ChangeRecord fromBytes(byte[] bytes) {
      JsonObject json = new JsonObject(new String(bytes, StandardCharsets.UTF_8));
      return new ChangeRecord(json.getLong("seq"), json.getString("generation"), Instant.parse(json.getString("at")),
          json.getLong("memories"), json.getJsonArray("ops"));
    }
  }

  static JsonObject sweep() {
    return new JsonObject().put("op", "sweep");
  }

  /** Reads counted by id ({@code memory_access}): not a command, but kept so a restore keeps the counts. */
  static JsonObject accesses(Map<Long, MemoryStore.AccessCount> reads) {
    JsonObject counts = new JsonObject();
    reads.forEach((id, read) -> counts.put(Long.toString(id),
        new JsonObject().put("count", read.count()).put("last", read.last().toString())));
    return new JsonObject().put("op", "access").put("reads", counts);
  }

  /** The reads of an {@code access} op, by memory id. */
  static Map<Long, MemoryStore.AccessCount> reads(JsonObject op) {
    Map<Long, MemoryStore.AccessCount> reads = new java.util.HashMap<>();
    op.getJsonObject("reads").forEach(e -> {
      JsonObject read = (JsonObject) e.getValue();
      reads.put(Long.parseLong(e.getKey()),
          new MemoryStore.AccessCount(read.getLong("count"), Instant.parse(read.getString("last"))));
    });
    return reads;
  }

  static JsonObject encode(Write<?> write) {
    if (write instanceof Create c) {
      return new JsonObject().put("op", "create").put("content", c.content()).put("memory_type", c.memoryType())
          .put("tags", new JsonArray(new ArrayList<>(c.tags()))).put("metadata", c.metadata())
          .put("importance", c.importance()).put("workspace", c.workspace()).put("tier", c.tier())
          .put("ttl_seconds", c.ttlSeconds());
    }
    if (write instanceof Update u) {
      return new JsonObject().put("op", "update").put("id", u.id()).put("content", u.content())
          .put("memory_type", u.memoryType()).put("tags", u.tags() == null ? null : new JsonArray(new ArrayList<>(u.tags())))
          .put("metadata", u.metadata()).put("importance", u.importance()).put("ttl_seconds", u.ttlSeconds());
    }
    if (write instanceof Delete d) return new JsonObject().put("op", "delete").put("id", d.id());
    if (write instanceof MoveWorkspace m) {
      return new JsonObject().put("op", "move").put("id", m.id()).put("workspace", m.workspace());
    }
    if (write instanceof Link l) {
      return new JsonObject().put("op", "link").put("from_id", l.fromId()).put("to_id", l.toId())
          .put("edge_type", l.edgeType()).put("strength", l.strength()).put("source_context", l.sourceContext());
    }
    if (write instanceof Unlink u) {
      return new JsonObject().put("op", "unlink").put("from_id", u.fromId()).put("to_id", u.toId())
          .put("edge_type", u.edgeType());
    }
    if (write instanceof Import i) {
      JsonArray memories = new JsonArray();
      for (ImportedMemory m : i.memories()) {
        memories.add(new JsonObject().put("content", m.content()).put("memory_type", m.memoryType())
            .put("tags", new JsonArray(new ArrayList<>(m.tags()))).put("metadata", m.metadata())
            .put("importance", m.importance()).put("workspace", m.workspace()).put("tier", m.tier())
            .put("created_at", m.createdAt()).put("updated_at", m.updatedAt()));
      }
      return new JsonObject().put("op", "import").put("skip_duplicates", i.skipDuplicates()).put("memories", memories);
    }
    if (write instanceof ScanProject s) {
      JsonArray files = new JsonArray();
      for (ContextFile f : s.files()) {
        JsonArray sections = new JsonArray();
        for (ContextSection c : f.sections()) {
          sections.add(new JsonObject().put("index", c.index()).put("title", c.title()).put("path", c.path())
              .put("body", c.body()).put("content_hash", c.contentHash()).put("anchor", c.anchor()));
        }
        files.add(new JsonObject().put("path", f.path()).put("file_type", f.fileType()).put("format", f.format())
            .put("file_hash", f.fileHash()).put("content", f.content()).put("sections", sections));
      }
      return new JsonObject().put("op", "scan").put("workspace", s.workspace()).put("project", s.project())
          .put("skipped_paths", new JsonArray(new ArrayList<>(s.skippedPaths()))).put("files", files);
    }
    if (write instanceof CreateBlock b) {
      return new JsonObject().put("op", "create_block").put("workspace", b.workspace()).put("block_type", b.blockType())
          .put("label", b.label()).put("content", b.content()).put("max_tokens", b.maxTokens());
    }
    if (write instanceof EditBlock e) {
      return new JsonObject().put("op", "edit_block").put("workspace", e.workspace()).put("block_type", e.blockType())
          .put("label", e.label()).put("content", e.content()).put("reason", e.reason());
    }
    if (write instanceof CreateIdentity i) {
      return new JsonObject().put("op", "identity").put("canonical_id", i.canonicalId())
          .put("display_name", i.displayName()).put("entity_type", i.entityType()).put("description", i.description())
          .put("aliases", new JsonArray(new ArrayList<>(i.aliases()))).put("metadata", i.metadata());
    }
    if (write instanceof RecordFeedback r) {
      return new JsonObject().put("op", "feedback").put("memory_id", r.memoryId()).put("query", r.query())
          .put("useful", r.useful());
    }
    throw new IllegalArgumentException("no change record for " + write.getClass().getSimpleName());
  }

  /** The command an encoded op ran as; null for a sweep and for reads counted (see {@link #reads}). */
  static Write<?> decode(JsonObject op) {
    String name = op.getString("op");
    return switch (name) {
      case "create" -> new Create(op.getString("content"), op.getString("memory_type"), strings(op, "tags"),
          op.getJsonObject("metadata"), op.getDouble("importance"), op.getString("workspace"), op.getString("tier"),
          op.getLong("ttl_seconds"), Caps.NONE);
      case "update" -> new Update(op.getLong("id"), op.getString("content"), op.getString("memory_type"),
          op.getJsonArray("tags") == null ? null : strings(op, "tags"), op.getJsonObject("metadata"),
          op.getDouble("importance"), op.getLong("ttl_seconds"), Caps.NONE);
      case "delete" -> new Delete(op.getLong("id"));
      case "move" -> new MoveWorkspace(op.getLong("id"), op.getString("workspace"));
      case "link" -> new Link(op.getLong("from_id"), op.getLong("to_id"), op.getString("edge_type"),
          op.getDouble("strength"), op.getString("source_context"));
      case "unlink" -> new Unlink(op.getLong("from_id"), op.getLong("to_id"), op.getString("edge_type"));
      case "import" -> {
        List<ImportedMemory> memories = new ArrayList<>();
        for (Object o : op.getJsonArray("memories")) {
          JsonObject m = (JsonObject) o;
          memories.add(new ImportedMemory(m.getString("content"), m.getString("memory_type"), strings(m, "tags"),
              m.getJsonObject("metadata"), m.getDouble("importance"), m.getString("workspace"), m.getString("tier"),
              m.getString("created_at"), m.getString("updated_at")));
        }
        yield new Import(memories, op.getBoolean("skip_duplicates"), Caps.NONE);
      }
      case "scan" -> {
        List<ContextFile> files = new ArrayList<>();
        for (Object o : op.getJsonArray("files")) {
          JsonObject f = (JsonObject) o;
          List<ContextSection> sections = new ArrayList<>();
          for (Object so : f.getJsonArray("sections")) {
            JsonObject c = (JsonObject) so;
            sections.add(new ContextSection(c.getInteger("index"), c.getString("title"), c.getString("path"),
                c.getString("body"), c.getString("content_hash"), c.getString("anchor")));
          }
          files.add(new ContextFile(f.getString("path"), f.getString("file_type"), f.getString("format"),
              f.getString("file_hash"), f.getString("content"), sections));
        }
        yield new ScanProject(op.getString("workspace"), op.getString("project"), files,
            new LinkedHashSet<>(strings(op, "skipped_paths")), Caps.NONE);
      }
      case "create_block" -> new CreateBlock(op.getString("workspace"), op.getString("block_type"),
          op.getString("label"), op.getString("content"), op.getInteger("max_tokens"), Caps.NONE);
      case "edit_block" -> new EditBlock(op.getString("workspace"), op.getString("block_type"), op.getString("label"),
          op.getString("content"), op.getString("reason"), Caps.NONE);
      case "identity" -> new CreateIdentity(op.getString("canonical_id"), op.getString("display_name"),
          op.getString("entity_type"), op.getString("description"), strings(op, "aliases"),
          op.getJsonObject("metadata"), Caps.NONE);
      case "feedback" -> new RecordFeedback(op.getLong("memory_id"), op.getString("query"), op.getBoolean("useful"));
      case "sweep", "access" -> null;
      default -> throw new IllegalArgumentException("unknown change op '" + name + "'");
    };
  }

  private static List<String> strings(JsonObject json, String key) {
    List<String> out = new ArrayList<>();
    for (Object o : json.getJsonArray(key)) out.add((String) o);
    return out;
  }
}
