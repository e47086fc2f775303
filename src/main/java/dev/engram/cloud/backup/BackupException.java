package dev.engram.cloud.backup;

/** A backup or restore that cannot go on, with a message an operator can act on. */
public class BackupException extends RuntimeException {

  public BackupException(String message) {
    super(message);
  }

  public BackupException(String message, Throwable cause) {
    super(message, cause);
  }
}
