package dev.engram.cloud.controlplane;

import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks every tenant's audit chain through the control-plane port (deleted tenants included: their chains are
 * kept), one page at a time, and reports the first broken link of each broken chain.
 */
public final class AuditVerifier {

  private static final int TENANT_PAGE = 200;
  private static final int ENTRY_PAGE = 1000;

  /** What a verification saw: tenants and entries checked, and one break per broken chain (none: all hold). */
  public record Result(int tenants, long entries, List<AuditChain.Break> breaks) {}

  private final ControlPlane controlPlane;
  private final List<AuditChain.Break> breaks = new ArrayList<>();
  private int tenants;
  private long entries;

  private AuditVerifier(ControlPlane controlPlane) {
    this.controlPlane = controlPlane;
  }

  public static Future<Result> verify(ControlPlane controlPlane) {
    AuditVerifier verifier = new AuditVerifier(controlPlane);
    return verifier.tenantsAfter(null).map(v -> new Result(verifier.tenants, verifier.entries,
        List.copyOf(verifier.breaks)));
  }

  /** One tenant's chain, against the head its record names. */
  public static Future<AuditChain.Break> verify(ControlPlane controlPlane, TenantRecord tenant) {
    AuditChain.Walk walk = new AuditChain.Walk(tenant.id(), tenant.auditSeq(), tenant.auditHead());
    return walkFrom(controlPlane, walk, tenant.id(), null).map(v -> walk.finish());
  }

  private Future<Void> tenantsAfter(String after) {
    return controlPlane.listTenants(after, TENANT_PAGE).compose(page -> {
      Future<Void> chain = Future.succeededFuture();
      for (TenantRecord tenant : page.tenants()) {
        chain = chain.compose(v -> {
          AuditChain.Walk walk = new AuditChain.Walk(tenant.id(), tenant.auditSeq(), tenant.auditHead());
          return walkFrom(controlPlane, walk, tenant.id(), null).map(done -> {
            tenants++;
            entries += walk.entries();
            AuditChain.Break broken = walk.finish();
            if (broken != null) breaks.add(broken);
            return null;
          });
        });
      }
      return page.nextAfter() == null ? chain : chain.compose(v -> tenantsAfter(page.nextAfter()));
    });
  }

  private static Future<Void> walkFrom(ControlPlane controlPlane, AuditChain.Walk walk, String tenantId, Long cursor) {
    return controlPlane.auditPage(AuditQuery.chain(tenantId, cursor, ENTRY_PAGE)).compose(page -> {
      for (AuditRecord record : page.entries()) {
        if (!walk.next(record)) return Future.succeededFuture();
      }
      return page.next() == null ? Future.succeededFuture() : walkFrom(controlPlane, walk, tenantId, page.next());
    });
  }
}
