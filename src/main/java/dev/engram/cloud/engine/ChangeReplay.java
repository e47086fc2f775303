package dev.engram.cloud.engine;

import dev.engram.cloud.engine.ChangeRecords.ChangeRecord;
import dev.engram.cloud.engine.EngineMessages.Write;
import dev.engram.cloud.engine.EngineReplies.Block;
import dev.engram.cloud.engine.EngineReplies.Deleted;
import dev.engram.cloud.engine.EngineReplies.FeedbackRecorded;
import dev.engram.cloud.engine.EngineReplies.Identity;
import dev.engram.cloud.engine.EngineReplies.ImportResult;
import dev.engram.cloud.engine.EngineReplies.Memory;
import dev.engram.cloud.engine.EngineReplies.MemoryLink;
import dev.engram.cloud.engine.EngineReplies.Moved;
import dev.engram.cloud.engine.EngineReplies.ScanResult;
import dev.engram.cloud.engine.EngineReplies.Unlinked;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;

/**
 * Applies change records to a restored database through the engine's own write code (the same methods a tenant
 * engine runs), each record in one transaction together with its position, so a replay interrupted anywhere resumes
 * from what the file says. Records must follow on ({@code seq} one past the database's); a command that fails on
 * replay means the log and the snapshot disagree, and the replay stops with that error rather than guess.
 */
public final class ChangeReplay implements AutoCloseable {

  private final MemoryStore store;
  private ChangePosition position;

  private ChangeReplay(MemoryStore store, ChangePosition position) {
    this.store = store;
    this.position = position;
  }

  /** Opens (and migrates) a restored database for replay. */
  public static ChangeReplay open(Path file) throws SQLException {
    // No embedder: the memories a record creates or changes wait in vector_pending, and the server's engine embeds
    // them in the background once the tenant opens; the snapshot's vectors are kept as they are.
    MemoryStore store = MemoryStore.open(file, null);
    try {
      ChangePosition position = store.changePosition();
      return new ChangeReplay(store, position != null ? position : ChangePosition.fresh());
    } catch (SQLException | RuntimeException e) {
      store.close();
      throw e;
    }
  }

  public ChangePosition position() {
    return position;
  }

  public long memoryCount() throws SQLException {
    return store.countStored();
  }

  /** Applies one record, which must be the next of this database's generation. */
  public void apply(ChangeRecord record) throws SQLException {
    if (!record.generation().equals(position.generation()) || record.seq() != position.seq() + 1) {
      throw new IllegalStateException("change record " + record.generation() + "/" + record.seq()
          + " does not follow the database's position " + position.generation() + "/" + position.seq());
    }
    Instant at = record.at();
    try {
      for (Object o : record.ops()) {
        JsonObject op = (JsonObject) o;
        Write<?> write = ChangeRecords.decode(op);
        if ("access".equals(op.getString("op"))) {
          store.recordAccesses(ChangeRecords.reads(op));
        } else if (write == null) {
          store.deleteExpired(at);
        } else {
          write.runOn(new ReplayWrites(at));
        }
      }
      ChangePosition next = position.next(at);
      store.writeChangePosition(next);
      store.commit();
      position = next;
    } catch (SQLException | RuntimeException e) {
      store.rollback();
      throw new IllegalStateException("change record " + record.seq() + " of generation " + record.generation()
          + " failed on replay: " + e.getMessage(), e);
    }
  }

  /** Starts a new generation: what is written after a restore is a new timeline, never mixed with the old one. */
  public void startGeneration() throws SQLException {
    ChangePosition fresh = ChangePosition.fresh();
    position = new ChangePosition(fresh.generation(), 0, position.at());
    store.writeChangePosition(position);
    store.commit();
  }

  /** Checkpoints (the file is whole on its own) and closes. */
  @Override
  public void close() throws SQLException {
    try {
      store.checkpoint();
    } finally {
      store.close();
    }
  }

  /** The engine's writes without plan caps: they were enforced when the write was first accepted. */
  private final class ReplayWrites implements EngineMessages.Writes {
    private final Instant now;

    ReplayWrites(Instant now) {
      this.now = now;
    }

    @Override
    public Memory create(EngineMessages.Create c) throws SQLException {
      return Memory.of(store.create(c, now));
    }

    @Override
    public Memory update(EngineMessages.Update u) throws SQLException {
      return Memory.of(store.update(u, now));
    }

    @Override
    public Deleted delete(EngineMessages.Delete d) throws SQLException {
      store.delete(d.id(), now);
      return new Deleted(d.id());
    }

    @Override
    public Moved move(EngineMessages.MoveWorkspace m) throws SQLException {
      return store.move(m, now);
    }

    @Override
    public MemoryLink link(EngineMessages.Link l) throws SQLException {
      return store.links().link(l, now);
    }

    @Override
    public Unlinked unlink(EngineMessages.Unlink u) throws SQLException {
      return store.links().unlink(u);
    }

    @Override
    public ImportResult importMemories(EngineMessages.Import i) throws SQLException {
      return store.importMemories(i, now);
    }

    @Override
    public ScanResult scan(EngineMessages.ScanProject s) throws SQLException {
      return new ProjectContextStore(store).scan(s, now);
    }

    @Override
    public Block createBlock(EngineMessages.CreateBlock c) throws SQLException {
      return store.blocks().create(c, now);
    }

    @Override
    public Block editBlock(EngineMessages.EditBlock e) throws SQLException {
      return store.blocks().edit(e, now);
    }

    @Override
    public Identity createIdentity(EngineMessages.CreateIdentity c) throws SQLException {
      return store.identities().create(c, now);
    }

    @Override
    public FeedbackRecorded recordFeedback(EngineMessages.RecordFeedback r) throws SQLException {
      return store.feedback().record(r, now);
    }
  }
}
