package dev.engram.cloud.controlplane;

import java.util.List;

/** A page of tenants in creation order; {@code nextAfter} is the id to continue after, null on the last page. */
public record TenantPage(List<TenantRecord> tenants, String nextAfter) {}
