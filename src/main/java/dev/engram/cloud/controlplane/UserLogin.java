package dev.engram.cloud.controlplane;

/** What sign-in needs: the user, the password hash, and the tenant they belong to with their role. */
public record UserLogin(String userId, String email, String passwordHash, String tenantId, String role,
                        String tenantStatus) {}
