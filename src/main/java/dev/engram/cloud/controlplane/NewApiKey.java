package dev.engram.cloud.controlplane;

import java.time.Instant;
import java.util.List;

/** An API key to store: only its SHA-256 hash and display prefix, never the secret. */
public record NewApiKey(String id, String tenantId, String name, String prefix, String keyHash, List<String> scopes,
                        String createdBy, Instant expiresAt) {}
