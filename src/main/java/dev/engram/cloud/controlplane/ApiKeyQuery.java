package dev.engram.cloud.controlplane;

import java.util.List;

/**
 * One page of a tenant's API keys, oldest first. {@code workspaces} empty means every key; otherwise only the keys
 * restricted to some of these workspaces: keys with at least one {@code workspace:<name>} scope, every one of them
 * naming a workspace of the list (an unrestricted key is never inside a restriction). {@code afterKeyId} is the
 * cursor: the last key of the previous page, or null for the first page.
 */
public record ApiKeyQuery(String tenantId, List<String> workspaces, int limit, String afterKeyId) {}
