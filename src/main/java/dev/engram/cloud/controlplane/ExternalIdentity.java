package dev.engram.cloud.controlplane;

import java.util.List;

/**
 * The user linked to an external issuer's subject, with every tenant they belong to, oldest membership first
 * (ties by tenant id). The list is empty when the user belongs to no tenant any more.
 */
public record ExternalIdentity(String userId, List<Membership> memberships) {}
