package dev.engram.cloud.controlplane;

import java.time.Instant;
import java.util.List;

/** A stored API key as the control plane knows it (no secret). */
public record ApiKeyRecord(String id, String tenantId, String name, String prefix, List<String> scopes,
                           Instant createdAt, Instant expiresAt, Instant revokedAt, String tenantStatus) {}
