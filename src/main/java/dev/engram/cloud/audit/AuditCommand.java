package dev.engram.cloud.audit;

import dev.engram.cloud.admin.CommandLine;
import dev.engram.cloud.controlplane.AuditChain;
import dev.engram.cloud.controlplane.AuditVerifier;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * {@code java -jar engram-cloud.jar audit verify [--data-dir DIR] [--config FILE]}: checks every tenant's audit chain
 * (deleted tenants' too) in the control plane the server would use (DIR's {@code control.db}, or PostgreSQL when
 * {@code DATABASE_URL} is set). Exit 0 when every chain holds; 1 naming, for each broken chain, the tenant and its
 * first broken entry; 2 on a usage error or when the control plane cannot be opened.
 */
public final class AuditCommand {

  static final String USAGE_TEXT = "usage: java -jar engram-cloud.jar audit verify [--data-dir DIR] [--config FILE]\n"
      + "  checks the hash chain of every tenant's audit log (PostgreSQL when DATABASE_URL is set)";

  private AuditCommand() {}

  /** Runs the command; {@code args} are those after {@code audit}. */
  public static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
    CommandLine cli;
    try {
      cli = CommandLine.parse(args, env);
    } catch (IllegalArgumentException e) {
      err.println("engram-cloud audit: " + e.getMessage());
      err.println(USAGE_TEXT);
      return CommandLine.USAGE;
    }
    if (!cli.words().equals(List.of("verify"))) {
      err.println(USAGE_TEXT);
      return CommandLine.USAGE;
    }
    AuditVerifier.Result result;
    try {
      result = cli.run(AuditVerifier::verify);
    } catch (ExecutionException e) {
      err.println("engram-cloud audit: " + e.getCause().getMessage());
      return CommandLine.USAGE;
    } catch (Exception e) {
      err.println("engram-cloud audit: " + e);
      return CommandLine.USAGE;
    }
    for (AuditChain.Break broken : result.breaks()) out.println("BROKEN " + broken.describe());
    out.println("audit verify: " + result.tenants() + " tenant(s), " + result.entries() + " entries: "
        + (result.breaks().isEmpty() ? "every chain holds" : result.breaks().size() + " broken chain(s)"));
    return result.breaks().isEmpty() ? CommandLine.OK : CommandLine.FAILED;
  }
}
