package dev.engram.cloud.controlplane;

import java.time.Instant;
import java.util.List;

/**
 * An API key to store: only its SHA-256 hash and display prefix, never the secret. {@code createdBy} is who made it
 * (a user id or a key id), {@code userId} the member whose rights bound it.
 */
public record NewApiKey(String id, String tenantId, String name, String prefix, String keyHash, List<String> scopes,
                        String createdBy, Instant expiresAt, String userId) {

  /** A key made by the member {@code createdBy} itself. */
  public NewApiKey(String id, String tenantId, String name, String prefix, String keyHash, List<String> scopes,
                   String createdBy, Instant expiresAt) {
    this(id, tenantId, name, prefix, keyHash, scopes, createdBy, expiresAt, createdBy);
  }
}
