package dev.engram.cloud.controlplane;

import java.time.Instant;
import java.util.List;

/** An invite to store: the SHA-256 of its single-use token, never the token. Empty workspaces: every workspace. */
public record NewInvite(String id, String tenantId, String email, String role, List<String> workspaces,
                        String tokenHash, String createdBy, Instant expiresAt) {}
