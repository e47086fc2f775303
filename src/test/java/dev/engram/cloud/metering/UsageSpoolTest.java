package dev.engram.cloud.metering;

import dev.engram.cloud.controlplane.UsageDay;
import dev.engram.cloud.metering.UsageSpool.Segment;
import dev.engram.cloud.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The spool file format, its recovery after a crash (a torn last line included), and its life cycle. */
class UsageSpoolTest {

  private final LocalDate today = LocalDate.now(ZoneOffset.UTC);
  private Path dir;

  @AfterEach
  void cleanUp() {
    if (dir != null) TestServer.deleteRecursively(dir);
  }

  @Test
  void what_a_crashed_run_appended_is_read_back_and_a_torn_last_line_is_skipped() throws Exception {
    dir = Files.createTempDirectory("engram-spool-");
    UsageSpool crashed = UsageSpool.open(dir);
    crashed.append("tn_a", "req_1", 1, 1, 0);
    crashed.append("tn_a", "req_2", 2, 0, 1);
    crashed.append("tn_b", "req_3", 1, 0, 0);
    assertEquals(List.of(new UsageDay("tn_a", today, 3, 1, 1)), crashed.unfolded("tn_a", today, today));
    // Never closed, as in kill -9; an OS crash could also leave half a line at the end.
    Path file = onlySegment();
    Files.writeString(file, "1700000000000\ttn_a\treq_4\t1", StandardCharsets.UTF_8, StandardOpenOption.APPEND);

    UsageSpool recovered = UsageSpool.open(dir);
    assertEquals(3, recovered.depth());
    assertEquals(List.of(new UsageDay("tn_a", today, 3, 1, 1)), recovered.unfolded("tn_a", today, today));
    assertEquals(List.of(new UsageDay("tn_b", today, 1, 0, 0)), recovered.unfolded("tn_b", today, today));
    assertTrue(recovered.unfolded("tn_a", today.minusDays(2), today.minusDays(1)).isEmpty());

    recovered.append("tn_b", "req_5", 1, 0, 1);
    List<Segment> waiting = recovered.seal();
    assertEquals(2, waiting.size(), "the recovered segment and the one just sealed");
    assertEquals(4, recovered.depth(), "sealed usage still counts until its fold commits");
    for (Segment s : waiting) recovered.folded(s);
    assertEquals(0, recovered.depth());
    assertEquals(Long.MAX_VALUE, recovered.oldestMillis());
    recovered.close();
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of(), left.toList(), "folded segments are deleted, and so is an empty open one at close");
    }
  }

  @Test
  void an_empty_open_segment_is_not_sealed() throws Exception {
    dir = Files.createTempDirectory("engram-spool-");
    UsageSpool spool = UsageSpool.open(dir);
    assertEquals(List.of(), spool.seal());
    spool.append("tn_a", "req_1", 1, 0, 0);
    assertEquals(1, spool.seal().size());
    assertEquals(1, spool.seal().size(), "an unfolded segment stays until its fold");
  }

  private Path onlySegment() throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> all = files.toList();
      assertEquals(1, all.size());
      return all.get(0);
    }
  }
}
