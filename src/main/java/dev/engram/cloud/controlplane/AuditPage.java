package dev.engram.cloud.controlplane;

import java.util.List;

/** A page of audit entries; {@code next} is the id to continue after, null on the last page. */
public record AuditPage(List<AuditRecord> entries, Long next) {}
