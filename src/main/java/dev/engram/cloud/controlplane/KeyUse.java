package dev.engram.cloud.controlplane;

import java.time.Instant;

/** A key was used at {@code minute} (a whole minute): what the batched {@code last_used_at} update writes. */
public record KeyUse(String tenantId, String keyId, Instant minute) {}
