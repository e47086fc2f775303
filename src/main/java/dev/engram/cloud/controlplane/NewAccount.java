package dev.engram.cloud.controlplane;

/**
 * A sign-up: a new tenant (with its unique slug) with its owner and first API key; {@code origin} is the request it
 * came from, for the audit log (its id is ignored: the new user made it).
 */
public record NewAccount(String tenantId, String tenantName, String userId, String email, String passwordHash,
                         NewApiKey firstKey, String tenantSlug, Actor origin) {

  public NewAccount {
    origin = (origin == null ? Actor.SYSTEM : origin).as(userId);
  }

  /** With the slug a migration gives an existing tenant (its id with the underscore as a hyphen), from nowhere. */
  public NewAccount(String tenantId, String tenantName, String userId, String email, String passwordHash,
                    NewApiKey firstKey) {
    this(tenantId, tenantName, userId, email, passwordHash, firstKey, tenantId.replace('_', '-'), null);
  }
}
