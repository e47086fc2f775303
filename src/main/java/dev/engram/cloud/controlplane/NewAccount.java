package dev.engram.cloud.controlplane;

/** A sign-up: a new tenant with its owner and first API key. */
public record NewAccount(String tenantId, String tenantName, String userId, String email, String passwordHash,
                         NewApiKey firstKey) {}
