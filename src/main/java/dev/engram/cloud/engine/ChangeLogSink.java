package dev.engram.cloud.engine;

import dev.engram.cloud.engine.ChangeRecords.ChangeRecord;

/**
 * Where a tenant engine hands each committed group of writes (see {@link ChangeRecords}), after its commit and
 * before it answers the writes: the change log of backups. Called on the engine's thread; never throws (a log that
 * cannot take a record says so in its own metrics and logs, and asks for a snapshot that covers the gap).
 */
public interface ChangeLogSink {

  /** Backups off: records go nowhere. */
  ChangeLogSink NONE = new ChangeLogSink() {
    @Override
    public boolean enabled() {
      return false;
    }

    @Override
    public boolean continues(String tenantId, ChangePosition position) {
      return false;
    }

    @Override
    public void append(String tenantId, ChangeRecord record) {}
  };

  /** False when nothing is kept, so the engine need not build records. */
  default boolean enabled() {
    return true;
  }

  /**
   * Whether the log's last record for this tenant is exactly where its database stands, so that the next record
   * follows on. When not, the engine starts a new generation (and the log a new lineage that a snapshot will base).
   */
  boolean continues(String tenantId, ChangePosition position);

  void append(String tenantId, ChangeRecord record);
}
