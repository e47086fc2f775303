package dev.engram.cloud.controlplane;

import java.time.Instant;

/**
 * A stored audit entry: its id, its position {@code seq} in its tenant's chain, its time, and the chain's hashes.
 * Entries written before the chain existed have neither position nor hashes (null).
 */
public record AuditRecord(long id, Long seq, Instant at, AuditEntry entry, String prevHash, String hash) {}
