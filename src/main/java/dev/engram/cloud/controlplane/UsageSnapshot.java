package dev.engram.cloud.controlplane;

import java.time.LocalDate;

/**
 * A tenant's size as its engine measured it on {@code day} (UTC): live memories and the database bytes in use. A
 * level, not a count: the day keeps its latest snapshot, so recording one again changes nothing.
 */
public record UsageSnapshot(String tenantId, LocalDate day, long memories, long storageBytes) {}
