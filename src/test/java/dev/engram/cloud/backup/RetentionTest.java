package dev.engram.cloud.backup;

import dev.engram.cloud.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Retention keeps the newest snapshot of each of the last N days and M weeks (and always the newest), removes the
 * others manifest first, removes log segments that only precede every kept snapshot of their generation, and
 * removes a snapshot left without its manifest once it is an hour old.
 */
class RetentionTest {

  private static final String LOGS = "tenants/tn_aaaaaaaaaaaaaaaaaaaa/log/g1/";
  private static final String SNAPS = "tenants/tn_aaaaaaaaaaaaaaaaaaaa/snapshots/";
  private Path root;

  @AfterEach
  void cleanUp() {
    if (root != null) TestServer.deleteRecursively(root);
  }

  @Test
  void keepsOnePerDayAndWeekAndTheLogTheyNeed() throws Exception {
    root = Files.createTempDirectory("engram-retention-");
    LocalTarget target = new LocalTarget(root);
    // Two a day on Nov 28, 29 (2026, ISO week 48) and Nov 30 (a Monday: week 49); one on Nov 16 (week 47) and on
    // Nov 2 (week 45).
    List<String> ids = List.of("20261102T030000.000Z-g1-10", "20261116T030000.000Z-g1-20",
        "20261128T030000.000Z-g1-30", "20261128T150000.000Z-g1-40", "20261129T030000.000Z-g1-50",
        "20261129T150000.000Z-g1-60", "20261130T030000.000Z-g1-70", "20261130T150000.000Z-g1-80");
    for (String id : ids) {
      target.put(SNAPS + id + "/" + Snapshots.DATA, new byte[] {1});
      target.put(SNAPS + id + "/" + Snapshots.MANIFEST, new byte[] {2});
    }
    target.put(SNAPS + "20261130T160000.000Z-g1-90/" + Snapshots.DATA, new byte[] {1}); // no manifest, 2 h old
    target.put(SNAPS + "20261130T175900.000Z-g1-95/" + Snapshots.DATA, new byte[] {1}); // no manifest, in progress
    for (String segment : List.of("1-9", "10-15", "16-25", "26-85", "86-99")) {
      String[] r = segment.split("-");
      target.put(LOGS + ChangeLogs.segmentName(Long.parseLong(r[0]), Long.parseLong(r[1])), new byte[] {3});
    }

    new Retention(target, 2, 3).apply(Instant.parse("2026-11-30T18:00:00Z"));

    // Days: Nov 30 (its newest: 80) and Nov 29 (60); the last 3 weeks that have one: 49 (80), 48 (60), 47 (20).
    List<String> kept = List.of("20261116T030000.000Z-g1-20", "20261129T150000.000Z-g1-60",
        "20261130T150000.000Z-g1-80");
    List<String> expected = new java.util.ArrayList<>();
    for (String id : kept) {
      expected.addAll(List.of(SNAPS + id + "/" + Snapshots.DATA, SNAPS + id + "/" + Snapshots.MANIFEST));
    }
    expected.add(SNAPS + "20261130T175900.000Z-g1-95/" + Snapshots.DATA);
    assertEquals(expected, target.list(SNAPS));
    // The oldest kept snapshot covers seq 20: segments ending at or before it go, the rest stay.
    assertEquals(List.of(LOGS + ChangeLogs.segmentName(16, 25),
        LOGS + ChangeLogs.segmentName(26, 85), LOGS + ChangeLogs.segmentName(86, 99)), target.list(LOGS));
  }
}
