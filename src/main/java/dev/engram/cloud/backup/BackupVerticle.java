package dev.engram.cloud.backup;

import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.bus.ApiException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs backups on schedule, off the event loops: every {@code backup.ship_seconds} the change logs are sealed and
 * shipped and the snapshots the logs asked for are taken; every minute the snapshots due by the schedule (and the
 * control plane's, when it changed) and retention. All of it on a worker pool of its own ({@code engram-backup}),
 * one step at a time. Answers {@code engram.backup.list} for {@code GET /v1/backups}. Stopping ships what is left.
 */
public final class BackupVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(BackupVerticle.class);
  private static final long SCHEDULE_MS = 60_000;

  private final Backups backups;
  private final int shipSeconds;
  private WorkerExecutor worker;
  private long shipTimer = -1;
  private long scheduleTimer = -1;

  /** {@code backups} null: backups are off; the listing answers that. */
  public BackupVerticle(Backups backups, int shipSeconds) {
    this.backups = backups;
    this.shipSeconds = shipSeconds;
  }

  @Override
  public Future<?> start() {
    if (backups != null) {
      worker = vertx.createSharedWorkerExecutor("engram-backup", 1);
      shipTimer = vertx.setPeriodic(shipSeconds * 1000L, id -> run("ship", () -> {
        backups.ship();
        backups.snapshotRequested();
      }));
      scheduleTimer = vertx.setPeriodic(1000, SCHEDULE_MS, id -> run("schedule", backups::snapshotDue));
    }
    return vertx.eventBus().<String>localConsumer(Addresses.BACKUP_LIST, this::list).completion();
  }

  private void run(String what, Runnable step) {
    worker.executeBlocking(() -> {
      step.run();
      return null;
    }, true).onFailure(err -> log.error("backup {} step failed", what, err));
  }

  private void list(Message<String> msg) {
    if (backups == null) {
      msg.reply(new JsonObject().put("enabled", false).put("data", new io.vertx.core.json.JsonArray()));
      return;
    }
    worker.executeBlocking(() -> backups.list(msg.body()), false)
        .onSuccess(data -> msg.reply(new JsonObject().put("enabled", true).put("data", data)))
        .onFailure(err -> {
          log.error("listing the backups of tenant {} failed", msg.body(), err);
          ApiException.fail(msg, new ApiException(503, "unavailable", "The backup target cannot be read; retry shortly."));
        });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(shipTimer);
    vertx.cancelTimer(scheduleTimer);
    if (worker == null) return Future.succeededFuture();
    return worker.executeBlocking(() -> {
      backups.ship();
      backups.snapshotControl(false);
      backups.close();
      return null;
    }, true).eventually(() -> worker.close());
  }
}
