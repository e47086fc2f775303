package dev.engram.cloud.controlplane;

import java.util.List;

/**
 * A user as sign-in and session checks need them: the password hash (null for an external identity's user), the
 * version their session tokens must carry, and every tenant they belong to, oldest membership first (ties by tenant
 * id; empty when they belong to none).
 */
public record UserLogin(String userId, String email, String passwordHash, int tokenVersion,
                        List<Membership> memberships) {}
