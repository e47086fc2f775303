package dev.engram.cloud.backup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Where backups are kept: a local directory or an S3-compatible bucket. Keys are '/'-separated paths. Blocking:
 * called only from the backup worker pool or the command line. A put is whole or absent (never a partial object
 * under its key), and putting the same key again replaces it, so an upload retried after a crash is harmless.
 */
interface BackupTarget extends AutoCloseable {

  void put(String key, Path file) throws IOException;

  void put(String key, byte[] bytes) throws IOException;

  /** The object's bytes, or null when there is none. */
  byte[] get(String key) throws IOException;

  /** Downloads the object into {@code to}; false when there is none. */
  boolean download(String key, Path to) throws IOException;

  /** Every key under {@code prefix}, sorted. */
  List<String> list(String prefix) throws IOException;

  void delete(String key) throws IOException;

  /** The local directory that live change logs are appended to inside the target, or null (an object store). */
  Path liveLogRoot();

  /** For logs and errors: the directory or bucket, never a credential. */
  String describe();

  @Override
  default void close() {}
}
