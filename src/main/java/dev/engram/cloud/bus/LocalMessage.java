package dev.engram.cloud.bus;

/**
 * Marks an immutable record sent on the event bus inside one node. Such messages pass by reference
 * through {@link LocalCodec}: no copy, no serialization.
 */
public interface LocalMessage {}
