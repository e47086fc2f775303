package dev.engram.cloud.controlplane;

/** A user created by accepting an invite: an email and a password hash. */
public record NewUser(String userId, String email, String passwordHash) {}
