package dev.engram.cloud;

import dev.engram.cloud.backup.BackupCommand;
import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.projectcontext.ScanCommand;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar engram-cloud.jar [--port N] [--host ADDRESS] [--metrics-port N] [--data-dir DIR] [--config FILE]}
 * starts the server (SIGTERM or Ctrl-C stops it gracefully, see {@link GracefulShutdown});
 * {@code java -jar engram-cloud.jar scan DIR --url URL --key KEY} uploads a project's instruction files to one;
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
