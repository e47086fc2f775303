package dev.engram.cloud;

import dev.engram.cloud.backup.BackupCommand;
import dev.engram.cloud.admin.AdminCommand;
import dev.engram.cloud.audit.AuditCommand;
import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.projectcontext.ScanCommand;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar engram-cloud.jar [--port N] [--host ADDRESS] [--metrics-port N] [--data-dir DIR] [--config FILE]}
 * starts the server (SIGTERM or Ctrl-C stops it gracefully, see {@link GracefulShutdown});
 * {@code java -jar engram-cloud.jar scan DIR --url URL --key KEY} uploads a project's instruction files to one;
 * {@code audit verify} checks the audit log's hash chains and {@code admin ...} runs the operator's controls on the
 * control plane (see {@link AuditCommand}, {@link AdminCommand});
 * {@code --help} and {@code --version} say what the jar takes (see {@link CommandLine}).
 */
public final class Main {

  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  /** Exits after flushing the asynchronous log appender, so the reason for the exit is not lost. */
  private static void exit(int status) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.stop();
    }
    System.exit(status);
  }

  /** The command-line tools print their answer on stdout: the server's info lines would only bury it. */
  private static void quietLogs() {
    if (System.getenv("ENGRAM_LOG_LEVEL") == null && LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
    }
  }

  public static void main(String[] args) throws Exception {
    int answered = CommandLine.answer(java.util.Arrays.asList(args), System.out);
    if (answered >= 0) {
      System.out.flush();
      System.exit(answered);
      return;
    }
    if (args.length > 0 && args[0].equals("scan")) {
      exit(ScanCommand.run(java.util.Arrays.asList(args).subList(1, args.length), System.getenv(), System.out,
          System.err));
      return;
    }
    if (args.length > 0 && args[0].equals("restore")) {
      exit(BackupCommand.restore(java.util.Arrays.asList(args).subList(1, args.length), System.getenv(), System.out,
          System.err));
      return;
    }
    if (args.length > 0 && args[0].equals("backup")) {
      exit(BackupCommand.backup(java.util.Arrays.asList(args).subList(1, args.length), System.getenv(), System.out,
          System.err));
      return;
    }
    if (args.length > 0 && (args[0].equals("audit") || args[0].equals("admin"))) {
      quietLogs();
      List<String> rest = java.util.Arrays.asList(args).subList(1, args.length);
      exit(args[0].equals("audit") ? AuditCommand.run(rest, System.getenv(), System.out, System.err)
          : AdminCommand.run(rest, System.getenv(), System.out, System.err));
      return;
    }
    EngramConfig config;
    try {
      config = EngramConfig.fromJson(ConfigLoader.load(args, System.getenv()));
    } catch (IllegalArgumentException e) {
      System.err.println("engram-cloud: " + e.getMessage());
      exit(2);
      return;
    }
    EngramServer server;
    try {
      server = EngramServer.start(config).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.error("engram-cloud failed to start", e);
      exit(1);
      return;
    }
    log.info("engram-cloud listening on http://{}:{} with data in {}{}", hostForUrl(config.server().host()),
        config.port(), config.dataDir(), config.server().metricsPort() == 0 ? ""
            : " (metrics on port " + config.server().metricsPort() + ")");
    GracefulShutdown.install(server, config.server().shutdownGraceSeconds(), Main::exit);
  }

  private static String hostForUrl(String host) {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }
}
