package dev.engram.cloud.engine;

import dev.engram.cloud.model.Workspaces;
import dev.engram.cloud.model.Cursors;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.engine.EngineMessages.Create;
import dev.engram.cloud.engine.EngineReplies.Activity;
import dev.engram.cloud.engine.EngineReplies.ActivityList;
import dev.engram.cloud.engine.EngineReplies.ExportBatch;
import dev.engram.cloud.engine.EngineReplies.ImportResult;
import dev.engram.cloud.engine.EngineReplies.Memory;
import dev.engram.cloud.engine.EngineReplies.MemoryPage;
import dev.engram.cloud.engine.EngineReplies.MemoryStats;
import dev.engram.cloud.engine.EngineReplies.Moved;
import dev.engram.cloud.engine.EngineReplies.TagCount;
import dev.engram.cloud.engine.EngineReplies.TagList;
import dev.engram.cloud.engine.EngineReplies.Version;
import dev.engram.cloud.engine.EngineReplies.VersionPage;
import dev.engram.cloud.engine.EngineReplies.WorkspacePage;
import dev.engram.cloud.engine.EngineReplies.WorkspaceSummary;
import dev.engram.cloud.engine.EngineMessages.ExportPage;
import dev.engram.cloud.engine.EngineMessages.Import;
import dev.engram.cloud.engine.EngineMessages.ImportedMemory;
import dev.engram.cloud.engine.EngineMessages.ListMemories;
import dev.engram.cloud.engine.EngineMessages.ListOrder;
import dev.engram.cloud.engine.EngineMessages.MoveWorkspace;
import dev.engram.cloud.engine.EngineMessages.RecentActivity;
import dev.engram.cloud.engine.EngineMessages.Search;
import dev.engram.cloud.engine.EngineMessages.Tags;
import dev.engram.cloud.engine.EngineMessages.Update;
import dev.engram.cloud.engine.EngineMessages.Versions;
import dev.engram.cloud.engine.EngineMessages.WorkspaceList;
import dev.engram.cloud.model.VersionCursors;
import dev.engram.cloud.search.Embedder;
import dev.engram.cloud.search.SearchIndex;
import dev.engram.cloud.search.SearchFilter;
import dev.engram.cloud.search.Vectors;
import dev.engram.cloud.sqlite.SqliteFiles;
import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.sqlite.ProgressHandler;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The SQL of one tenant database. Blocking and single-threaded: only its engine verticle calls it.
 * Expired memories are invisible to every read, whether or not cleanup has removed them yet.
 */
final class MemoryStore implements AutoCloseable {

  /** Reads by id, counted in memory_access: kept out of memories so that counting a read rewrites no memory. */
  private static final String ACCESS_COUNT =
      "coalesce((SELECT a.access_count FROM memory_access a WHERE a.memory_id = m.id), 0)";
  private static final String LAST_ACCESSED_AT =
      "(SELECT a.last_accessed_at FROM memory_access a WHERE a.memory_id = m.id)";
  /** A memory a project scan made (see ProjectContextStore): metadata.project names the project. */
  private static final String CONTEXT_OF_A_PROJECT = "m.memory_type = 'context'"
      + " AND json_type(m.metadata, '$.project') = 'text'"
      + " AND EXISTS (SELECT 1 FROM json_each(m.tags) WHERE value = 'project-context')";
  private static final String COLUMNS = "m.id, m.content, m.memory_type, m.tags, m.metadata, m.importance, "
      + "m.workspace, m.tier, m.expires_at, m.content_hash, m.version, m.created_at, m.updated_at, "
      + ACCESS_COUNT + ", " + LAST_ACCESSED_AT;
  /** A list's filters: ?2 workspaces (JSON array), ?3 type, ?4 tags (JSON array, all of them), ?5 tier. */
  private static final String LIST_FILTERS = " AND (?2 IS NULL OR m.workspace IN (SELECT value FROM json_each(?2)))"
      + " AND (?3 IS NULL OR m.memory_type = ?3)"
      + " AND (?4 IS NULL OR (SELECT count(*) FROM memory_tags t WHERE t.memory_id = m.id"
      + "   AND t.tag IN (SELECT value FROM json_each(?4))) = json_array_length(?4))"
      + " AND (?5 IS NULL OR m.tier = ?5)";
  static final String LIVE = "(m.expires_at IS NULL OR m.expires_at > ?1)";
  private static final long DEFAULT_DAILY_TTL_SECONDS = 86_400;
  /** SQLite VM steps between two checks of an interruptible statement's deadline: a few microseconds of work. */
  private static final int PROGRESS_STEPS = 1000;
  private static final int PREVIEW_CHARS = 100;
  private static final int TOP_TAGS = 5;
  /**
   * One row per workspace, largest first, at most {@code ?4}: {@code ?2} picks one workspace or, when NULL, all of
   * them; {@code ?3} (a JSON array) keeps only those workspaces, or all when NULL.
   */
  private static final String WORKSPACE_SUMMARY = "SELECT m.workspace, count(*), sum(m.tier = 'permanent'),"
      + " sum(m.tier = 'daily'), min(m.created_at), max(m.created_at), avg(m.importance)"
      + " FROM memories m WHERE " + LIVE + " AND (?2 IS NULL OR m.workspace = ?2)"
      + " AND (?3 IS NULL OR m.workspace IN (SELECT value FROM json_each(?3)))"
      + " GROUP BY m.workspace ORDER BY count(*) DESC, m.workspace LIMIT ?4";
  /** The top tags of the workspaces in {@code ?2} (a JSON array). */
  private static final String WORKSPACE_TOP_TAGS = "SELECT workspace, tag FROM ("
      + " SELECT m.workspace AS workspace, t.tag AS tag,"
      + "   row_number() OVER (PARTITION BY m.workspace ORDER BY count(*) DESC, t.tag) AS place"
      + " FROM memory_tags t JOIN memories m ON m.id = t.memory_id"
      + " WHERE " + LIVE + " AND m.workspace IN (SELECT value FROM json_each(?2)) GROUP BY m.workspace, t.tag)"
      + " WHERE place <= " + TOP_TAGS + " ORDER BY workspace, place";

  /** A memory waiting for its vector: its id and the text to embed, as stored now. */
  record PendingVector(long id, String content, String tagsJson) {
    /** What is embedded: the content and the tags. */
    String text() {
      StringBuilder text = new StringBuilder(content);
      for (Object tag : new JsonArray(tagsJson)) text.append(' ').append(tag);
      return text.toString();
    }
  }

  /** A computed vector for a pending memory, kept only if the memory still holds the text it was made from. */
  record ComputedVector(PendingVector from, byte[] embedding) {}

  /**
   * The changes after some position of the change sequence, in order: memories to (re)index (with their vector when
   * it is computed; storing one is a change of its memory) and ids to remove.
   */
  record Changes(List<SearchIndex.Doc> upserts, List<Long> deletes, long lastSeq, int count) {}

  private final Connection conn;
  private final Embedder embedder;
  private final PreparedStatement storeVector;
  private final PreparedStatement deleteVector;
  private final PreparedStatement insertPending;
  private final PreparedStatement deletePending;
  private final PreparedStatement pendingBatch;
  private final PreparedStatement changesSince;
  private final PreparedStatement selectRows;
  private final PreparedStatement selectContents;
  private final PreparedStatement insertMemory;
  private final PreparedStatement insertTag;
  private final PreparedStatement deleteTags;
  private final PreparedStatement insertVersion;
  private final PreparedStatement selectById;
  private final PreparedStatement updateMemory;
  private final PreparedStatement deleteMemory;
  private final PreparedStatement listPage;
  /** One prepared list per order other than the default (see {@link #list}), made on first use. */
  private final Map<ListOrder, PreparedStatement> orderedLists = new HashMap<>();
  private final PreparedStatement recordAccess;
  private final PreparedStatement deleteExpired;
  private final PreparedStatement anyExpired;
  private final PreparedStatement countAll;
  private final PreparedStatement usedBytes;
  private final PreparedStatement savepoint;
  private final PreparedStatement release;
  private final PreparedStatement rollbackTo;
  private final PreparedStatement tagCounts;
  private final PreparedStatement versions;
  private final PreparedStatement activity;
  private final PreparedStatement workspaceSummary;
  private final PreparedStatement workspaceTopTags;
  private final PreparedStatement moveMemory;
  private final PreparedStatement exportPage;
  private final PreparedStatement hashInWorkspace;
  private final PreparedStatement projectContext;
  private final LinkStore links;
  private final BlockStore blocks;
  private final IdentityStore identities;
  private final FeedbackStore feedback;
  private final PreparedStatement selectMany;
  private PreparedStatement positionWrite;

  private MemoryStore(Connection conn, Embedder embedder) throws SQLException {
    this.conn = conn;
    this.embedder = embedder;
    // a vector is kept only when its memory still holds the text it was computed from
    storeVector = conn.prepareStatement("INSERT OR REPLACE INTO memory_vectors (memory_id, embedding)"
        + " SELECT id, ?1 FROM memories WHERE id = ?2 AND content = ?3 AND tags = ?4");
    deleteVector = conn.prepareStatement("DELETE FROM memory_vectors WHERE memory_id = ?");
    insertPending = conn.prepareStatement("INSERT OR IGNORE INTO vector_pending (memory_id) VALUES (?)");
    deletePending = conn.prepareStatement("DELETE FROM vector_pending WHERE memory_id = ?");
    pendingBatch = conn.prepareStatement("SELECT m.id, m.content, m.tags FROM vector_pending p"
        + " JOIN memories m ON m.id = p.memory_id WHERE p.memory_id > ? ORDER BY p.memory_id LIMIT ?");
    changesSince = conn.prepareStatement("SELECT c.memory_id, c.seq, c.deleted, m.id, m.content, m.tags, m.metadata,"
        + " m.workspace, m.memory_type, m.tier, m.importance, m.created_at, m.updated_at, v.embedding,"
        + " CASE WHEN " + CONTEXT_OF_A_PROJECT + " THEN json_extract(m.metadata, '$.project') END"
        + " FROM memory_changes c LEFT JOIN memories m ON m.id = c.memory_id"
        + " LEFT JOIN memory_vectors v ON v.memory_id = c.memory_id WHERE c.seq > ? ORDER BY c.seq LIMIT ?");
    selectRows = conn.prepareStatement("SELECT " + COLUMNS + " FROM memories m"
        + " WHERE m.id IN (SELECT value FROM json_each(?2)) AND " + LIVE);
    selectContents = conn.prepareStatement("SELECT m.id, m.content FROM memories m"
        + " WHERE m.id IN (SELECT value FROM json_each(?2)) AND " + LIVE);
    insertMemory = conn.prepareStatement("""
        INSERT INTO memories (content, memory_type, tags, metadata, importance, workspace, tier, expires_at,
                              content_hash, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""");
    insertTag = conn.prepareStatement("INSERT OR IGNORE INTO memory_tags (memory_id, tag) VALUES (?, ?)");
    deleteTags = conn.prepareStatement("DELETE FROM memory_tags WHERE memory_id = ?");
    insertVersion = conn.prepareStatement("""
        INSERT INTO memory_versions (memory_id, version, content, tags, metadata, workspace, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)""");
    selectById = conn.prepareStatement("SELECT " + COLUMNS + " FROM memories m WHERE m.id = ?2 AND " + LIVE);
    updateMemory = conn.prepareStatement("""
        UPDATE memories SET content = ?, memory_type = ?, tags = ?, metadata = ?, importance = ?, expires_at = ?,
                            content_hash = ?, version = version + 1, updated_at = ?
        WHERE id = ?""");
    deleteMemory = conn.prepareStatement("DELETE FROM memories WHERE id = ?2 AND (expires_at IS NULL OR expires_at > ?1)");
    listPage = conn.prepareStatement("SELECT " + COLUMNS + " FROM memories m WHERE " + LIVE + LIST_FILTERS
        + " AND (?6 IS NULL OR m.id < ?6) ORDER BY m.id DESC LIMIT ?7 OFFSET ?8");
    // A memory deleted since its read is not counted (nor kept: the row would outlive it).
    recordAccess = conn.prepareStatement("""
        INSERT INTO memory_access (memory_id, access_count, last_accessed_at)
        SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM memories WHERE id = ?1)
        ON CONFLICT (memory_id) DO UPDATE SET access_count = access_count + excluded.access_count,
          last_accessed_at = max(last_accessed_at, excluded.last_accessed_at)""");
    deleteExpired = conn.prepareStatement(
        "DELETE FROM memories WHERE expires_at IS NOT NULL AND expires_at <= ? RETURNING id");
    anyExpired = conn.prepareStatement("SELECT 1 FROM memories WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT 1");
    countAll = conn.prepareStatement("SELECT count(*) FROM memories");
    // Pages in use: pages freed by deletes are reused by later writes, so they do not count against storage.
    usedBytes = conn.prepareStatement("SELECT (p.page_count - f.freelist_count) * s.page_size"
        + " FROM pragma_page_count p, pragma_freelist_count f, pragma_page_size s");
    savepoint = conn.prepareStatement("SAVEPOINT cmd");
    release = conn.prepareStatement("RELEASE cmd");
    rollbackTo = conn.prepareStatement("ROLLBACK TO cmd");
    tagCounts = conn.prepareStatement("SELECT t.tag, count(*), max(m.updated_at) FROM memory_tags t"
        + " JOIN memories m ON m.id = t.memory_id WHERE " + LIVE + " GROUP BY t.tag ORDER BY count(*) DESC, t.tag"
        + " LIMIT ?2");
    versions = conn.prepareStatement("SELECT version, content, tags, metadata, workspace, created_at"
        + " FROM memory_versions WHERE memory_id = ?1 AND (?2 IS NULL OR version < ?2) ORDER BY version DESC LIMIT ?3");
    activity = conn.prepareStatement("SELECT " + COLUMNS + " FROM memories m WHERE " + LIVE
        + " AND m.updated_at >= ?2 AND (?3 IS NULL OR m.workspace = ?3)"
        + " AND (?4 IS NULL OR m.memory_type IN (SELECT value FROM json_each(?4)))"
        + " ORDER BY m.updated_at DESC, m.id DESC LIMIT ?5");
    workspaceSummary = conn.prepareStatement(WORKSPACE_SUMMARY);
    workspaceTopTags = conn.prepareStatement(WORKSPACE_TOP_TAGS);
    moveMemory = conn.prepareStatement("UPDATE memories SET workspace = ?, version = version + 1, updated_at = ?"
        + " WHERE id = ?");
    exportPage = conn.prepareStatement("SELECT " + COLUMNS + " FROM memories m WHERE " + LIVE
        + " AND (?2 IS NULL OR m.workspace = ?2) AND m.id > ?3 ORDER BY m.id LIMIT ?4");
    hashInWorkspace = conn.prepareStatement("SELECT 1 FROM memories m WHERE m.content_hash = ?2"
        + " AND m.workspace = ?3 AND " + LIVE + " LIMIT 1");
    projectContext = conn.prepareStatement("SELECT " + COLUMNS + " FROM memory_tags t JOIN memories m ON m.id = t.memory_id"
        + " WHERE t.tag = 'project-context' AND " + LIVE + " AND m.workspace = ?2 AND m.memory_type = 'context'"
        + " AND json_extract(m.metadata, '$.project') = ?3 AND json_type(m.metadata, '$.source_file') = 'text'"
        + " ORDER BY m.id");
    links = new LinkStore(conn);
    blocks = new BlockStore(conn);
    identities = new IdentityStore(conn);
    feedback = new FeedbackStore(conn);
    selectMany = conn.prepareStatement("SELECT " + COLUMNS + " FROM memories m"
        + " WHERE m.id IN (SELECT value FROM json_each(?2)) AND " + LIVE
        + " AND (?3 IS NULL OR m.workspace IN (SELECT value FROM json_each(?3)))");
  }

  /**
   * A read-only connection to a database the writer has already migrated. Auto-commit, so no read keeps a WAL
   * snapshot open between queries (that would hold back checkpoints).
   */
  static MemoryStore openReader(Path file, Embedder embedder) throws SQLException {
    Connection conn = SqliteFiles.open(file);
    try (Statement s = conn.createStatement()) {
      s.execute("PRAGMA query_only=ON");
      return new MemoryStore(conn, embedder);
    } catch (SQLException e) {
      conn.close();
      throw e;
    }
  }

  /**
   * The writing connection, the schema migrated. A null {@code embedder} leaves the vectors as they are (a restore's
   * replay: the engine that opens the file next reconciles them with its own embedder).
   */
  static MemoryStore open(Path file, Embedder embedder) throws SQLException {
    Connection conn = SqliteFiles.open(file);
    try {
      SqliteFiles.migrate(conn, "tenant");
      conn.setAutoCommit(false);
      MemoryStore store = new MemoryStore(conn, embedder);
      if (embedder != null) store.reconcileEmbedder();
      return store;
    } catch (SQLException e) {
      conn.close();
      throw e;
    }
  }

  /**
   * When the vectors were made by another embedder (the configuration changed), drops them all and puts every
   * memory in the backlog, once, in one transaction: the background embedding then makes new ones, resuming after
   * a restart, and searches never rank vectors of two embedders together.
   */
  private void reconcileEmbedder() throws SQLException {
    String stored = null;
    try (Statement s = conn.createStatement();
         ResultSet rs = s.executeQuery("SELECT value FROM search_meta WHERE key = 'embedder'")) {
      if (rs.next()) stored = rs.getString(1);
    }
    if (!embedder.id().equals(stored)) {
      try (Statement s = conn.createStatement()) {
        s.executeUpdate("DELETE FROM memory_vectors");
        s.executeUpdate("INSERT OR IGNORE INTO vector_pending (memory_id) SELECT id FROM memories");
      }
      try (PreparedStatement ps = conn.prepareStatement(
          "INSERT OR REPLACE INTO search_meta (key, value) VALUES ('embedder', ?)")) {
        bind(ps, embedder.id()).executeUpdate();
      }
    }
    conn.commit();
  }

  /** Up to {@code max} memories waiting for a vector with ids above {@code afterId}, in id order. */
  List<PendingVector> pendingVectors(long afterId, int max) throws SQLException {
    List<PendingVector> out = new ArrayList<>();
    try (ResultSet rs = bind(pendingBatch, afterId, max).executeQuery()) {
      while (rs.next()) out.add(new PendingVector(rs.getLong(1), rs.getString(2), rs.getString(3)));
    }
    return out;
  }

  /** How many memories wait for a vector. */
  long pendingVectorCount() throws SQLException {
    try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM vector_pending")) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  /**
   * Stores the vectors whose memory still holds the text they were made from, and takes those memories off the
   * backlog; a memory changed or deleted since stays as it is (waiting again, or gone). Returns how many were kept.
   */
  int storeVectors(List<ComputedVector> computed) throws SQLException {
    int kept = 0;
    for (ComputedVector c : computed) {
      PendingVector p = c.from();
      if (bind(storeVector, c.embedding(), p.id(), p.content(), p.tagsJson()).executeUpdate() == 0) continue;
      bind(deletePending, p.id()).executeUpdate();
      kept++;
    }
    return kept;
  }

  /** The changes after {@code seq}, at most {@code max} of them, with what the keyword index holds of each memory. */
  Changes changesSince(long seq, int max) throws SQLException {
    List<SearchIndex.Doc> upserts = new ArrayList<>();
    List<Long> deletes = new ArrayList<>();
    long last = seq;
    int count = 0;
    try (ResultSet rs = bind(changesSince, seq, max).executeQuery()) {
      while (rs.next()) {
        count++;
        last = rs.getLong(2);
        long id = rs.getLong(1);
        boolean deleted = rs.getInt(3) != 0;
        rs.getLong(4);
        if (deleted || rs.wasNull()) { // a tombstone, or a memory gone since (its tombstone follows)
          deletes.add(id);
          continue;
        }
        List<String> tags = stringList(new JsonArray(rs.getString(6)));
        upserts.add(new SearchIndex.Doc(id, rs.getString(5), tags, rs.getString(7), rs.getString(8),
            rs.getString(9), rs.getString(10), rs.getDouble(11), Timestamps.parseStored(rs.getString(12)),
            Timestamps.parseStored(rs.getString(13)), Vectors.unitOrNull(rs.getBytes(14)), rs.getString(15)));
      }
    }
    return new Changes(upserts, deletes, last, count);
  }

  /** The last position of the change sequence (0 when nothing was ever stored). */
  long lastChangeSeq() throws SQLException {
    try (Statement s = conn.createStatement();
         ResultSet rs = s.executeQuery("SELECT coalesce(max(seq), 0) FROM memory_changes")) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  // ---- transactions (the engine batches several writes into one) ----

  void savepoint() throws SQLException {
    savepoint.execute();
  }

  void releaseSavepoint() throws SQLException {
    release.execute();
  }

  void rollbackToSavepoint() throws SQLException {
    rollbackTo.execute();
    release.execute();
  }

  void commit() throws SQLException {
    conn.commit();
  }

  /** Where this database stands in its change log (see {@link ChangePosition}); null before its first record. */
  ChangePosition changePosition() throws SQLException {
    return ChangePosition.read(conn);
  }

  /** Records the change log position in the current transaction. */
  void writeChangePosition(ChangePosition position) throws SQLException {
    if (positionWrite == null) positionWrite = conn.prepareStatement(ChangePosition.WRITE);
    position.write(positionWrite);
  }

  void rollback() throws SQLException {
    conn.rollback();
  }

  /**
   * Ends the read transaction a read on the writer's connection opened (it would hold a WAL snapshot until the
   * next write). Only between writes: it commits whatever the connection holds.
   */
  void endRead() throws SQLException {
    if (!conn.getAutoCommit()) conn.commit();
  }

  // ---- writes ----

  JsonObject create(Create c, Instant now) throws SQLException {
    String ts = Timestamps.format(now);
    String tier = c.tier();
    String expiresAt = null;
    if (c.ttlSeconds() != null && "permanent".equals(tier)) {
      throw ApiException.badRequest("ttl_on_permanent",
          "A permanent memory cannot have ttl_seconds; use tier 'daily' or leave tier out.");
    }
    if ("daily".equals(tier)) {
      long ttl = c.ttlSeconds() != null ? c.ttlSeconds() : DEFAULT_DAILY_TTL_SECONDS;
      expiresAt = Timestamps.format(now.plusSeconds(ttl));
    }
    String contentHash = contentHash(c.content());
    long id = insert(c.content(), c.memoryType(), c.tags(), c.metadata(), c.importance(), c.workspace(), tier,
        expiresAt, contentHash, ts, ts);
    // Built from what was just written rather than read back: it is exactly the stored row.
    return new JsonObject()
        .put("id", id)
        .put("content", c.content())
        .put("memory_type", c.memoryType())
        .put("tags", new JsonArray(c.tags()))
        .put("metadata", c.metadata().copy())
        .put("importance", c.importance())
        .put("workspace", c.workspace())
        .put("tier", tier)
        .put("expires_at", expiresAt)
        .put("content_hash", contentHash)
        .put("version", 1)
        .put("created_at", ts)
        .put("updated_at", ts);
  }

  /** Inserts a memory with its tags and first version; returns its id. */
  long insert(String content, String memoryType, List<String> tagList, JsonObject metadataObject,
                      double importance, String workspace, String tier, String expiresAt, String contentHash,
                      String createdAt, String updatedAt) throws SQLException {
    String tags = new JsonArray(tagList).encode();
    String metadata = metadataObject.encode();
    long id;
    try (ResultSet keys = bind(insertMemory, content, memoryType, tags, metadata, importance, workspace, tier,
        expiresAt, contentHash, createdAt, updatedAt).executeQuery()) {
      keys.next();
      id = keys.getLong(1);
    }
    writeTags(id, tagList);
    bind(insertPending, id).executeUpdate();
    bind(insertVersion, id, 1, content, tags, metadata, workspace, createdAt).executeUpdate();
    return id;
  }

  JsonObject update(Update u, Instant now) throws SQLException {
    JsonObject current = get(u.id(), now).orElseThrow(() -> notFound(u.id()));
    String content = u.content() != null ? u.content() : current.getString("content");
    String memoryType = u.memoryType() != null ? u.memoryType() : current.getString("memory_type");
    List<String> tags = u.tags() != null ? u.tags() : stringList(current.getJsonArray("tags"));
    JsonObject metadata = u.metadata() != null ? u.metadata() : current.getJsonObject("metadata");
    double importance = u.importance() != null ? u.importance() : current.getDouble("importance");
    String expiresAt = current.getString("expires_at");
    if (u.ttlSeconds() != null) {
      if (!"daily".equals(current.getString("tier"))) {
        throw ApiException.badRequest("ttl_on_permanent", "A permanent memory cannot have ttl_seconds.");
      }
      expiresAt = Timestamps.format(now.plusSeconds(u.ttlSeconds()));
    }
    String ts = Timestamps.format(now);
    String tagsJson = new JsonArray(tags).encode();
    String metadataJson = metadata.encode();
    bind(updateMemory, content, memoryType, tagsJson, metadataJson, importance, expiresAt, contentHash(content), ts,
        u.id()).executeUpdate();
    if (u.tags() != null) {
      bind(deleteTags, u.id()).executeUpdate();
      writeTags(u.id(), tags);
    }
    if (!content.equals(current.getString("content")) || !tagsJson.equals(current.getJsonArray("tags").encode())) {
      // the old vector no longer describes the memory: none until the background embedding makes the new one
      bind(deleteVector, u.id()).executeUpdate();
      bind(insertPending, u.id()).executeUpdate();
    }
    int version = current.getInteger("version") + 1;
    bind(insertVersion, u.id(), version, content, tagsJson, metadataJson, current.getString("workspace"), ts)
        .executeUpdate();
    return get(u.id(), now).orElseThrow();
  }

  /** Moves a memory to another workspace: a new version, like an update. */
  Moved move(MoveWorkspace m, Instant now) throws SQLException {
    String workspace = Workspaces.normalize(m.workspace());
    JsonObject current = get(m.id(), now).orElseThrow(() -> notFound(m.id()));
    String ts = Timestamps.format(now);
    bind(moveMemory, workspace, ts, m.id()).executeUpdate();
    bind(insertVersion, m.id(), current.getInteger("version") + 1, current.getString("content"),
        current.getJsonArray("tags").encode(), current.getJsonObject("metadata").encode(), workspace, ts)
        .executeUpdate();
    return new Moved(Memory.of(get(m.id(), now).orElseThrow()));
  }

  /**
   * Imports validated items as new memories (new ids; created_at/updated_at kept when given). With
   * {@code skipDuplicates}, an item whose content hash is already live in its workspace is skipped; that includes
   * an earlier item of the same import, since this connection sees its own uncommitted rows.
   */
  ImportResult importMemories(Import imp, Instant now) throws SQLException {
    String ts = Timestamps.format(now);
    String dailyExpiry = Timestamps.format(now.plusSeconds(DEFAULT_DAILY_TTL_SECONDS));
    int imported = 0;
    int skipped = 0;
    for (ImportedMemory m : imp.memories()) {
      String hash = contentHash(m.content());
      if (imp.skipDuplicates()) {
        try (ResultSet rs = bind(hashInWorkspace, ts, hash, m.workspace()).executeQuery()) {
          if (rs.next()) {
            skipped++;
            continue;
          }
        }
      }
      String createdAt = m.createdAt() != null ? m.createdAt() : ts;
      String updatedAt = m.updatedAt() != null ? m.updatedAt() : createdAt;
      // A daily memory gets a fresh day, as in Engram: the export format carries no expiry.
      insert(m.content(), m.memoryType(), m.tags(), m.metadata(), m.importance(), m.workspace(), m.tier(),
          "daily".equals(m.tier()) ? dailyExpiry : null, hash, createdAt, updatedAt);
      imported++;
    }
    return new ImportResult(imported, skipped);
  }

  void delete(long id, Instant now) throws SQLException {
    if (bind(deleteMemory, Timestamps.format(now), id).executeUpdate() == 0) {
      throw notFound(id);
    }
  }

  int deleteExpired(Instant now) throws SQLException {
    int removed = 0;
    try (ResultSet rs = bind(deleteExpired, Timestamps.format(now)).executeQuery()) {
      while (rs.next()) removed++;
    }
    return removed;
  }

  /** True when some memory has expired but is still stored (one index probe). */
  boolean hasExpired(Instant now) throws SQLException {
    try (ResultSet rs = bind(anyExpired, Timestamps.format(now)).executeQuery()) {
      return rs.next();
    }
  }

  /** Stored memories, expired ones not yet removed included. */
  long countStored() throws SQLException {
    try (ResultSet rs = countAll.executeQuery()) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  /** Bytes of the database in use, as this connection sees it (its own uncommitted writes included). */
  long usedBytes() throws SQLException {
    try (ResultSet rs = usedBytes.executeQuery()) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  private void writeTags(long id, List<String> tags) throws SQLException {
    for (String tag : tags) {
      bind(insertTag, id, tag).addBatch();
    }
    if (!tags.isEmpty()) insertTag.executeBatch();
  }

  // ---- reads ----

  Optional<JsonObject> get(long id, Instant now) throws SQLException {
    try (ResultSet rs = bind(selectById, Timestamps.format(now), id).executeQuery()) {
      return rs.next() ? Optional.of(memory(rs)) : Optional.empty();
    }
  }

  /**
   * One page of a list. The default order walks ids downwards and pages by cursor; another order sorts the
   * filtered memories (a scan of them, on this worker thread, bounded by the tenant's size) and pages by offset only,
   * so its answer has no cursor.
   */
  MemoryPage list(ListMemories q, Instant now) throws SQLException {
    PreparedStatement ps = q.order().pagesByCursor() ? listPage : orderedList(q.order());
    String workspaces = q.workspaces() == null ? null : new JsonArray(new ArrayList<>(q.workspaces())).encode();
    bind(ps, Timestamps.format(now), workspaces, q.memoryType(), tagsParam(q.tags()), q.tier(), q.beforeId(),
        q.limit() + 1, q.offset());
    JsonArray data = new JsonArray();
    Long lastId = null;
    boolean more = false;
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        if (data.size() == q.limit()) {
          more = true;
          break;
        }
        JsonObject m = memory(rs);
        lastId = m.getLong("id");
        data.add(m);
      }
    }
    return new MemoryPage(EngineReplies.memories(data),
        more && q.order().pagesByCursor() ? Cursors.encode(lastId) : null);
  }

  private PreparedStatement orderedList(ListOrder order) throws SQLException {
    PreparedStatement ps = orderedLists.get(order);
    if (ps != null) return ps;
    String key = switch (order.sortBy()) {
      case "created_at" -> "m.id";
      case "updated_at" -> "m.updated_at";
      case "importance" -> "m.importance";
      case "access_count" -> ACCESS_COUNT;
      case "last_accessed_at" -> LAST_ACCESSED_AT;
      default -> throw new IllegalArgumentException(order.sortBy());
    };
    String direction = order.ascending() ? " ASC" : " DESC";
    ps = conn.prepareStatement("SELECT " + COLUMNS + " FROM memories m WHERE " + LIVE + LIST_FILTERS
        + " AND ?6 IS NULL ORDER BY " + key + direction + ", m.id" + direction + " LIMIT ?7 OFFSET ?8");
    orderedLists.put(order, ps);
    return ps;
  }

  /** Adds reads counted in memory (id → count, and the latest read's time) to the memories still stored. */
  void recordAccesses(Map<Long, AccessCount> reads) throws SQLException {
    for (Map.Entry<Long, AccessCount> read : reads.entrySet()) {
      bind(recordAccess, read.getKey(), read.getValue().count(), Timestamps.format(read.getValue().last()));
      recordAccess.addBatch();
    }
    recordAccess.executeBatch();
  }

  /** Reads of one memory not yet written: how many, and when the latest was. */
  record AccessCount(long count, Instant last) {
    AccessCount plus(Instant at) {
      return new AccessCount(count + 1, at.isAfter(last) ? at : last);
    }
  }

  /** The live memories among {@code ids}, by id. */
  Map<Long, JsonObject> rows(Collection<Long> ids, Instant now) throws SQLException {
    Map<Long, JsonObject> out = new HashMap<>();
    if (ids.isEmpty()) return out;
    try (ResultSet rs = bind(selectRows, Timestamps.format(now), new JsonArray(new ArrayList<>(ids)).encode())
        .executeQuery()) {
      while (rs.next()) {
        JsonObject m = memory(rs);
        out.put(m.getLong("id"), m);
      }
    }
    return out;
  }

  /** The content of the live memories among {@code ids}, by id. */
  Map<Long, String> contents(Collection<Long> ids, Instant now) throws SQLException {
    Map<Long, String> out = new HashMap<>();
    if (ids.isEmpty()) return out;
    try (ResultSet rs = bind(selectContents, Timestamps.format(now), new JsonArray(new ArrayList<>(ids)).encode())
        .executeQuery()) {
      while (rs.next()) out.put(rs.getLong(1), rs.getString(2));
    }
    return out;
  }

  /** Those of {@code ids} whose memory is live and passes the filter. */
  Set<Long> passing(Collection<Long> ids, SearchFilter filter, Instant now) throws SQLException {
    Set<Long> out = new LinkedHashSet<>();
    if (ids.isEmpty()) return out;
    List<Object> params = new ArrayList<>();
    params.add(new JsonArray(new ArrayList<>(ids)).encode());
    params.add(Timestamps.format(now));
    String where = FilterSql.where(filter, params);
    try (PreparedStatement ps = conn.prepareStatement("SELECT m.id FROM memories m"
        + " WHERE m.id IN (SELECT value FROM json_each(?)) AND (m.expires_at IS NULL OR m.expires_at > ?)" + where)) {
      try (ResultSet rs = bind(ps, params.toArray()).executeQuery()) {
        while (rs.next()) out.add(rs.getLong(1));
      }
    }
    return out;
  }

  /** A unit of SQL work for {@link #interruptibleUntil}. */
  interface SqlWork<T> {
    T run() throws SQLException;
  }

  /**
   * Runs {@code work} on this connection; a statement still running at {@code deadlineNanos} (System.nanoTime) is
   * interrupted and fails with SQLITE_INTERRUPT (see {@link #interrupted}). Reads only: an interrupted write would
   * roll back the whole transaction. The driver finalizes a statement it sees interrupted, so such work must prepare
   * its statements itself rather than reuse this store's.
   */
  <T> T interruptibleUntil(long deadlineNanos, SqlWork<T> work) throws SQLException {
    ProgressHandler.setHandler(conn, PROGRESS_STEPS, new ProgressHandler() {
      @Override
      protected int progress() {
        return System.nanoTime() - deadlineNanos >= 0 ? 1 : 0;
      }
    });
    try {
      return work.run();
    } finally {
      ProgressHandler.clearHandler(conn);
    }
  }

  /** Whether a statement failed because {@link #interruptibleUntil} interrupted it. */
  static boolean interrupted(SQLException e) {
    return e instanceof SQLiteException se && se.getResultCode() == SQLiteErrorCode.SQLITE_INTERRUPT;
  }

  MemoryStats stats(Instant now) throws SQLException {
    String ts = Timestamps.format(now);
    List<Map<String, Long>> byColumn = new ArrayList<>();
    for (String column : List.of("workspace", "memory_type", "tier")) {
      Map<String, Long> counts = new LinkedHashMap<>();
      try (PreparedStatement ps = conn.prepareStatement("SELECT m." + column + ", count(*) FROM memories m WHERE "
          + LIVE + " GROUP BY m." + column + " ORDER BY m." + column)) {
        try (ResultSet rs = bind(ps, ts).executeQuery()) {
          while (rs.next()) counts.put(rs.getString(1), rs.getLong(2));
        }
      }
      byColumn.add(counts);
    }
    long size;
    try (Statement s = conn.createStatement();
         ResultSet rs = s.executeQuery("SELECT page_count * page_size FROM pragma_page_count, pragma_page_size")) {
      size = rs.next() ? rs.getLong(1) : 0;
    }
    long total = byColumn.get(2).values().stream().mapToLong(Long::longValue).sum();
    return new MemoryStats(total, byColumn.get(0), byColumn.get(1), byColumn.get(2), size, pendingVectorCount());
  }


  /**
   * The {@code limit} most used tags on live memories with their counts and the last change of a memory carrying
   * each; {@code truncated} when there are more.
   */
  TagList tags(Tags q, Instant now) throws SQLException {
    List<TagCount> tags = new ArrayList<>();
    boolean truncated = false;
    try (ResultSet rs = bind(tagCounts, Timestamps.format(now), q.limit() + 1).executeQuery()) {
      while (rs.next()) {
        if (tags.size() == q.limit()) {
          truncated = true;
          break;
        }
        tags.add(new TagCount(rs.getString(1), rs.getLong(2), rs.getString(3)));
      }
    }
    return new TagList(List.copyOf(tags), truncated);
  }


  /** A page of the versions of a live memory, the current one included, newest first. */
  VersionPage versions(Versions q, Instant now) throws SQLException {
    long id = q.id();
    if (get(id, now).isEmpty()) throw notFound(id);
    List<Version> out = new ArrayList<>();
    boolean more = false;
    try (ResultSet rs = bind(versions, id, q.beforeVersion(), q.limit() + 1).executeQuery()) {
      while (rs.next()) {
        if (out.size() == q.limit()) {
          more = true;
          break;
        }
        out.add(new Version(rs.getInt(1), rs.getString(2), strings(new JsonArray(rs.getString(3))),
            new JsonObject(rs.getString(4)), rs.getString(5), rs.getString(6)));
      }
    }
    String next = more ? VersionCursors.encode(out.get(out.size() - 1).version()) : null;
    return new VersionPage(id, List.copyOf(out), next);
  }


  ActivityList recentActivity(RecentActivity q, Instant now) throws SQLException {
    String types = q.memoryTypes() == null || q.memoryTypes().isEmpty() ? null : new JsonArray(q.memoryTypes()).encode();
    String since = Timestamps.format(q.since());
    List<Activity> activities = new ArrayList<>();
    try (ResultSet rs = bind(activity, Timestamps.format(now), since, q.workspace(), types, q.limit()).executeQuery()) {
      while (rs.next()) {
        JsonObject m = memory(rs);
        String content = m.getString("content");
        activities.add(new Activity(m.getLong("id"),
            content.length() > PREVIEW_CHARS ? content.substring(0, PREVIEW_CHARS) + "..." : content,
            m.getString("memory_type"), m.getDouble("importance"), m.getString("workspace"),
            strings(m.getJsonArray("tags")), m.getString("created_at"), m.getString("updated_at")));
      }
    }
    return new ActivityList(List.copyOf(activities), since, q.workspace());
  }


  /** The {@code limit} largest workspaces with live memories (of {@code within}, when given). */
  WorkspacePage workspaces(WorkspaceList q, Instant now) throws SQLException {
    List<WorkspaceSummary> list = workspaceSummaries(null, q.within(), q.limit() + 1, now);
    boolean truncated = list.size() > q.limit();
    return new WorkspacePage(truncated ? list.subList(0, q.limit()) : list, truncated);
  }


  Optional<WorkspaceSummary> workspace(String name, Instant now) throws SQLException {
    List<WorkspaceSummary> one = workspaceSummaries(Workspaces.normalize(name), null, 1, now);
    return one.isEmpty() ? Optional.empty() : Optional.of(one.get(0));
  }


  private List<WorkspaceSummary> workspaceSummaries(String workspace, Set<String> within, int limit, Instant now)
      throws SQLException {
    String ts = Timestamps.format(now);
    record Row(String name, long count, long permanent, long daily, String first, String last, double importance) {}
    List<Row> rows = new ArrayList<>();
    try (ResultSet rs = bind(workspaceSummary, ts, workspace,
        within == null ? null : new JsonArray(new ArrayList<>(within)).encode(), limit).executeQuery()) {
      while (rs.next()) {
        rows.add(new Row(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getString(5),
            rs.getString(6), rs.getDouble(7)));
      }
    }
    if (rows.isEmpty()) return List.of();
    // Top tags of the workspaces shown only, so that a page costs what its workspaces hold.
    Map<String, List<String>> topTags = new LinkedHashMap<>();
    rows.forEach(r -> topTags.put(r.name(), new ArrayList<>()));
    try (ResultSet rs = bind(workspaceTopTags, ts, new JsonArray(new ArrayList<>(topTags.keySet())).encode())
        .executeQuery()) {
      while (rs.next()) topTags.get(rs.getString(1)).add(rs.getString(2));
    }
    return rows.stream().map(r -> new WorkspaceSummary(r.name(), r.count(), r.permanent(), r.daily(), r.first(),
        r.last(), List.copyOf(topTags.get(r.name())), r.importance())).toList();
  }


  /** A page of the export in id order; {@code next_after_id} is null on the last page. */
  ExportBatch exportPage(ExportPage q, Instant now) throws SQLException {
    List<Memory> memories = new ArrayList<>();
    boolean more = false;
    long chars = 0;
    try (ResultSet rs = bind(exportPage, Timestamps.format(now), q.workspace(), q.afterId(), q.limit() + 1)
        .executeQuery()) {
      while (rs.next()) {
        if (memories.size() == q.limit()) {
          more = true;
          break;
        }
        chars += rs.getString(2).length() + rs.getString(4).length() + rs.getString(5).length();
        memories.add(Memory.of(memory(rs)));
      }
    }
    Long next = more ? memories.get(memories.size() - 1).id() : null;
    return new ExportBatch(List.copyOf(memories), next, chars);
  }


  BlockStore blocks() {
    return blocks;
  }

  IdentityStore identities() {
    return identities;
  }

  FeedbackStore feedback() {
    return feedback;
  }

  /** The memories of {@code ids} still stored (and inside {@code within} when given), in the order of {@code ids}. */
  List<JsonObject> memoriesById(List<Long> ids, Set<String> within, Instant now) throws SQLException {
    Map<Long, JsonObject> found = new HashMap<>();
    String scope = within == null ? null : new JsonArray(new ArrayList<>(within)).encode();
    try (ResultSet rs = bind(selectMany, Timestamps.format(now), new JsonArray(new ArrayList<>(ids)).encode(), scope)
        .executeQuery()) {
      while (rs.next()) {
        JsonObject m = memory(rs);
        found.put(m.getLong("id"), m);
      }
    }
    List<JsonObject> out = new ArrayList<>();
    for (Long id : new LinkedHashSet<>(ids)) {
      JsonObject m = found.get(id);
      if (m != null) out.add(m);
    }
    return out;
  }

  LinkStore links() {
    return links;
  }

  /**
   * The live memories a project scan made in a workspace (type context, tag project-context, metadata.project the
   * project's name and metadata.source_file a string), in id order.
   */
  List<JsonObject> projectContext(String workspace, String project, Instant now) throws SQLException {
    List<JsonObject> out = new ArrayList<>();
    try (ResultSet rs = bind(projectContext, Timestamps.format(now), workspace, project).executeQuery()) {
      while (rs.next()) out.add(memory(rs));
    }
    return out;
  }

  /**
   * Ends the writer's (empty) transaction and checkpoints the WAL into the database, truncating it; for an engine
   * that stops, so the database file alone holds everything.
   */
  void checkpoint() throws SQLException {
    conn.commit();
    conn.setAutoCommit(true);
    try (Statement s = conn.createStatement()) {
      s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    }
  }

  @Override
  public void close() throws SQLException {
    try {
      if (!conn.getAutoCommit()) conn.rollback();
    } catch (SQLException e) {
      // SQLite may have ended the transaction itself; closing rolls back whatever is left in any case
    } finally {
      conn.close();
    }
  }

  // ---- mapping ----

  private static JsonObject memory(ResultSet rs) throws SQLException {
    return new JsonObject()
        .put("id", rs.getLong(1))
        .put("content", rs.getString(2))
        .put("memory_type", rs.getString(3))
        .put("tags", new JsonArray(rs.getString(4)))
        .put("metadata", new JsonObject(rs.getString(5)))
        .put("importance", rs.getDouble(6))
        .put("workspace", rs.getString(7))
        .put("tier", rs.getString(8))
        .put("expires_at", rs.getString(9))
        .put("content_hash", rs.getString(10))
        .put("version", rs.getInt(11))
        .put("created_at", rs.getString(12))
        .put("updated_at", rs.getString(13))
        .put("access_count", rs.getLong(14))
        .put("last_accessed_at", rs.getString(15));
  }

  private static List<String> stringList(JsonArray array) {
    return array.stream().map(String.class::cast).toList();
  }

  private static List<String> strings(JsonArray array) {
    return stringList(array);
  }

  private static String tagsParam(List<String> tags) {
    return tags == null || tags.isEmpty() ? null : new JsonArray(tags).encode();
  }

  private static ApiException notFound(long id) {
    return ApiException.notFound("No memory with id " + id + ".");
  }

  /** Each run of whitespace ({@code \\s}: space, tab, line breaks, form feed, vertical tab) becomes one space. */
  static String collapseWhitespace(String s) {
    StringBuilder out = new StringBuilder(s.length());
    boolean inRun = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean space = c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
      if (!space) out.append(c);
      else if (!inRun) out.append(' ');
      inRun = space;
    }
    return out.toString();
  }

  /** Engram's content hash: SHA-256 of the lowercased text with whitespace runs collapsed. */
  static String contentHash(String content) {
    String normalized = collapseWhitespace(content.toLowerCase(Locale.ROOT).trim());
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(normalized.getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static PreparedStatement bind(PreparedStatement ps, Object... values) throws SQLException {
    for (int i = 0; i < values.length; i++) {
      if (values[i] == null) ps.setNull(i + 1, Types.NULL);
      else ps.setObject(i + 1, values[i]);
    }
    return ps;
  }
}
