package dev.engram.cloud.controlplane;

/** A rotation's outcome: the replaced key (now expiring at the end of the overlap) and the key that replaces it. */
public record KeyRotation(ApiKeyRecord replaced, ApiKeyRecord replacement) {}
