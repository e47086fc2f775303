package dev.engram.cloud;

import dev.engram.cloud.admin.AdminCommand;
import dev.engram.cloud.projectcontext.ScanCommand;

import java.io.PrintStream;
import java.util.List;

/**
 * What {@code java -jar engram-cloud.jar --help} and {@code --version} print: every flag, environment variable and
 * subcommand the jar takes, in one place next to {@link Main}.
 */
final class CommandLine {

  static final String HELP = """
      Engram Cloud: hosted, multi-tenant memory for AI agents (REST and MCP).

      usage: java -jar engram-cloud.jar [--port N] [--host ADDRESS] [--metrics-port N] [--data-dir DIR] [--config FILE]
             java -jar engram-cloud.jar scan DIR --url URL [--key KEY] [--project NAME] [--workspace NAME]
             java -jar engram-cloud.jar restore --from TARGET --at RFC3339|latest [--tenant ID] --data-dir NEW_DIR
             java -jar engram-cloud.jar backup now|rotate-key [--data-dir DIR] [--config FILE]
             java -jar engram-cloud.jar audit verify [--data-dir DIR] [--config FILE]
             java -jar engram-cloud.jar admin COMMAND [--data-dir DIR] [--config FILE]
             java -jar engram-cloud.jar --help | -h | --version

      Starts the server (http://localhost:8080 by default; the API is described at /openapi.json). SIGTERM or
      Ctrl-C stops it gracefully.

      flags (also --name=value):
        --port N          port to listen on (default 8080)
        --host ADDRESS    address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
        --metrics-port N  serve /metrics on this port instead of the API's (default 0: the API's)
        --data-dir DIR    where tenants, the control plane and keys are kept (default ./data)
        --config FILE     a JSON file merged over the bundled conf/engram.json
        -h, --help        print this and exit
        --version         print the version and exit

      subcommands:
        scan DIR          upload a project's agent instruction files (CLAUDE.md, AGENTS.md, ...) to a server
      %s
        audit verify      check every tenant's audit-log hash chain; exit 1 naming the first broken entry
        admin COMMAND     the operator's controls on the control plane (as the /v1/operator routes):
      %s
        restore           restore tenants from backups into a new data directory, as of an instant:
                          restore --from TARGET --at RFC3339|latest [--tenant ID] --data-dir NEW_DIR
                          (TARGET: a directory such as data/backups, or s3://BUCKET[/PREFIX])
        backup now        snapshot every tenant and the control plane now
        backup rotate-key re-wrap the backups' data keys from ENGRAM_BACKUP_KEY_OLD to ENGRAM_BACKUP_KEY

      environment (settings precedence: conf/engram.json < config file < environment < flags):
        PORT                    as --port
        HOST                    as --host
        METRICS_PORT            as --metrics-port
        ENGRAM_DATA_DIR         as --data-dir
        ENGRAM_CONFIG           as --config
        ENGRAM_PUBLIC_URL       the https URL clients reach; required in production
        DATABASE_URL            PostgreSQL control plane (the application role); else SQLite in the data directory
        DATABASE_MIGRATION_URL  the owner role that runs the PostgreSQL migrations
        ENGRAM_OPERATOR_TOKEN   the platform operator's secret (at least 32 characters) for /v1/operator/...;
                                without it those routes answer 404
        REDIS_URL               rate limits shared through Redis; else in process
        JWKS_URL                keys of an external token issuer (with JWT_ISSUER and JWT_AUDIENCE)
        JWT_ISSUER              that issuer's exact iss
        JWT_AUDIENCE            the aud its tokens carry for this API
        S3_BUCKET               backups go to this S3/R2 bucket (else data/backups); marks a production deployment
        S3_ENDPOINT             the S3-compatible endpoint (R2: https://<account>.r2.cloudflarestorage.com)
        S3_REGION               its region (default auto); S3_PREFIX: a key prefix in the bucket
        ENGRAM_BACKUP_KEY       the backup master key (32 bytes, base64); required with S3_BUCKET
        STRIPE_SECRET_KEY       marks a production deployment (see the README)
        OTEL_*                  OpenTelemetry tracing (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_SAMPLER, ...)
        ENGRAM_LOG_LEVEL        log level (default INFO); logs are JSON lines on stdout
        ENGRAM_ACCESS_LOG       OFF drops the per-request log lines
        ENGRAM_API_KEY          the key of the scan subcommand, instead of --key

      exit codes: 0 done, 1 failed to start (or scan refused, an audit chain broken, an admin change refused),
      2 usage error.
      """;

  private CommandLine() {}

  /** Answers {@code --help}, {@code -h} and {@code --version}: the exit code, or -1 when the arguments ask neither. */
  static int answer(List<String> args, PrintStream out) {
    if (args.contains("--help") || args.contains("-h")) {
      String scan = ScanCommand.USAGE_TEXT.lines().skip(1).map(line -> "    " + line)
          .reduce((a, b) -> a + "\n" + b).orElse("");
      String admin = AdminCommand.USAGE_TEXT.lines().skip(1).map(line -> "    " + line)
          .reduce((a, b) -> a + "\n" + b).orElse("");
      out.print(HELP.formatted(scan, admin));
      return 0;
    }
    if (args.size() == 1 && args.get(0).equals("--version")) {
      out.println("engram-cloud " + version());
      return 0;
    }
    return -1;
  }

  /** The version the jar was built as (its manifest); {@code dev} when run from classes. */
  static String version() {
    String version = Main.class.getPackage().getImplementationVersion();
    return version != null ? version : "dev";
  }
}
