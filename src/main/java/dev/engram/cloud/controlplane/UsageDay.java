package dev.engram.cloud.controlplane;

import java.time.LocalDate;

/** Daily usage counters of one tenant (also used as a delta to add). */
public record UsageDay(String tenantId, LocalDate day, long apiCalls, long memoriesCreated, long searches) {

  public UsageDay plus(UsageDay other) {
    return new UsageDay(tenantId, day, apiCalls + other.apiCalls, memoriesCreated + other.memoriesCreated,
        searches + other.searches);
  }
}
