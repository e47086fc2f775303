package dev.engram.cloud.metering;

import dev.engram.cloud.bus.LocalMessage;
import dev.engram.cloud.controlplane.UsageDay;
import dev.engram.cloud.controlplane.UsageSnapshot;

import java.time.LocalDate;
import java.util.List;

/** Messages of the metering addresses. */
public final class UsageMessages {

  private UsageMessages() {}

  /** Asks for a tenant's daily counters, pending ones included. */
  public record UsageQuery(String tenantId, LocalDate from, LocalDate to) implements LocalMessage {}

  /** The daily counters and the days' size snapshots (recorded and pending alike). */
  public record UsageReport(List<UsageDay> days, List<UsageSnapshot> snapshots) implements LocalMessage {}

  /** A tenant engine's measurement of its size, sent on start, after its writes commit, and on stop. */
  public record SizeMeasured(UsageSnapshot snapshot) implements LocalMessage {}
}
