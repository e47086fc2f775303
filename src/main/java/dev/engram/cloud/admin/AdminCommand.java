package dev.engram.cloud.admin;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.controlplane.Actor;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.controlplane.TenantPage;
import dev.engram.cloud.controlplane.TenantRecord;
import dev.engram.cloud.quota.Plans;
import io.vertx.core.Future;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * {@code java -jar engram-cloud.jar admin <command> [--data-dir DIR] [--config FILE]}: the operator's controls on the
 * control plane itself, for a server without {@code ENGRAM_OPERATOR_TOKEN} (or no running server at all):
 * {@code tenants}, {@code tenant REF}, {@code set-plan REF PLAN}, {@code suspend REF}, {@code resume REF} (REF: a
 * tenant id or slug). Each change is audited in the tenant's chain as {@code operator}. A running server sees a plan
 * change within {@code quota.plan_cache_seconds} and a suspension within {@code auth.key_cache_seconds} (the
 * operator's HTTP routes apply them at once). Exit 0 done, 1 refused (no such tenant or plan), 2 usage error.
 */
public final class AdminCommand {

  public static final String USAGE_TEXT = """
      usage: java -jar engram-cloud.jar admin COMMAND [--data-dir DIR] [--config FILE]
        tenants               list every tenant (id, slug, plan, status, members, created)
        tenant REF            one tenant, by id or slug
        set-plan REF PLAN     put the tenant on a configured plan
        suspend REF           suspend the tenant (403 tenant_suspended everywhere; its data is kept)
        resume REF            resume a suspended tenant""";

  /** The actor of the command line's changes in the audit log. */
  static final Actor OPERATOR = new Actor("operator", null, "engram-cloud admin (command line)", null);

  private AdminCommand() {}

  /** Runs the command; {@code args} are those after {@code admin}. */
  public static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
    CommandLine cli;
    try {
      cli = CommandLine.parse(args, env);
    } catch (IllegalArgumentException e) {
      err.println("engram-cloud admin: " + e.getMessage());
      err.println(USAGE_TEXT);
      return CommandLine.USAGE;
    }
    List<String> w = cli.words();
    String command = w.isEmpty() ? "" : w.get(0);
    int arity = switch (command) {
      case "tenants" -> 1;
      case "tenant", "suspend", "resume" -> 2;
      case "set-plan" -> 3;
      default -> -1;
    };
    if (arity != w.size()) {
      err.println(USAGE_TEXT);
      return CommandLine.USAGE;
    }
    Plans plans = new Plans(cli.config().quota());
    if (command.equals("set-plan") && !plans.exists(w.get(2))) {
      err.println("engram-cloud admin: no plan named '" + w.get(2) + "'");
      return CommandLine.FAILED;
    }
    try {
      List<String> lines = cli.run(cp -> switch (command) {
        case "tenants" -> all(cp, null, new ArrayList<>());
        case "tenant" -> find(cp, w.get(1)).map(t -> List.of(describe(t)));
        case "set-plan" -> find(cp, w.get(1)).compose(t -> cp.setTenantPlan(t.id(), w.get(2), OPERATOR)
            .compose(v -> find(cp, t.id()))).map(t -> List.of(describe(t)));
        default -> find(cp, w.get(1)).compose(t -> cp.setTenantStatus(t.id(),
            command.equals("suspend") ? "suspended" : "active", OPERATOR).compose(found -> {
              if (!found) throw ApiException.notFound("tenant " + w.get(1) + " is deleted");
              return find(cp, t.id());
            })).map(t -> List.of(describe(t)));
      });
      lines.forEach(out::println);
      return CommandLine.OK;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      err.println("engram-cloud admin: " + (cause instanceof ApiException api ? api.detail() : cause.getMessage()));
      return cause instanceof ApiException ? CommandLine.FAILED : CommandLine.USAGE;
    } catch (Exception e) {
      err.println("engram-cloud admin: " + e);
      return CommandLine.USAGE;
    }
  }

  private static Future<TenantRecord> find(ControlPlane cp, String ref) {
    return cp.findTenant(ref).map(found -> found.orElseThrow(() -> ApiException.notFound("no tenant " + ref)));
  }

  private static Future<List<String>> all(ControlPlane cp, String after, List<String> lines) {
    return cp.listTenants(after, 500).compose((TenantPage page) -> {
      page.tenants().forEach(t -> lines.add(describe(t)));
      return page.nextAfter() == null ? Future.succeededFuture(lines) : all(cp, page.nextAfter(), lines);
    });
  }

  static String describe(TenantRecord t) {
    return String.join("\t", t.id(), t.slug() == null ? "-" : t.slug(), "plan=" + t.plan(), "status=" + t.status(),
        "members=" + t.members(), "created=" + t.createdAt());
  }
}
