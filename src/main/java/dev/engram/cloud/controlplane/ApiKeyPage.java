package dev.engram.cloud.controlplane;

import java.util.List;

/** A page of API keys; {@code nextAfter} is the cursor of the next page (its last key's id), null on the last page. */
public record ApiKeyPage(List<ApiKeyRecord> keys, String nextAfter) {}
