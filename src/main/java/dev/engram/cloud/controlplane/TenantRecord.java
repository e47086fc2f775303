package dev.engram.cloud.controlplane;

import java.time.Instant;

/**
 * A tenant as operators and its owner see it, with its member count and the head of its audit chain (the position
 * and hash of its last entry; 0 and null before the first).
 */
public record TenantRecord(String id, String slug, String name, String plan, String status, Instant createdAt,
                           long members, long auditSeq, String auditHead) {}
