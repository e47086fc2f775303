package dev.engram.cloud.metering;

import dev.engram.cloud.bus.LocalMessage;
import dev.engram.cloud.controlplane.UsageDay;

import java.time.LocalDate;
import java.util.List;

/** Messages of the metering addresses. */
public final class UsageMessages {

  private UsageMessages() {}

  /** Asks for a tenant's daily counters, pending ones included. */
  public record UsageQuery(String tenantId, LocalDate from, LocalDate to) implements LocalMessage {}

  public record UsageReport(List<UsageDay> days) implements LocalMessage {}
}
