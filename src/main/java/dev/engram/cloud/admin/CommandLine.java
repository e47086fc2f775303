package dev.engram.cloud.admin;

import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.controlplane.ControlPlanes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * What the command-line tools share: their words (before any flag) and the server's own flags ({@code --data-dir},
 * {@code --config}, read with the environment exactly as the server reads them: {@code DATABASE_URL} and
 * {@code DATABASE_MIGRATION_URL} select PostgreSQL), and a run against the control plane they name.
 */
public final class CommandLine {

  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;

  private final List<String> words;
  private final EngramConfig config;

  private CommandLine(List<String> words, EngramConfig config) {
    this.words = words;
    this.config = config;
  }

  /** Splits {@code args} into words and flags; fails with IllegalArgumentException on a bad flag or setting. */
  public static CommandLine parse(List<String> args, Map<String, String> env) {
    List<String> words = new ArrayList<>();
    int i = 0;
    while (i < args.size() && !args.get(i).startsWith("--")) words.add(args.get(i++));
    List<String> flags = args.subList(i, args.size());
    EngramConfig config = EngramConfig.fromJson(ConfigLoader.load(flags.toArray(new String[0]), env));
    return new CommandLine(List.copyOf(words), config);
  }

  public List<String> words() {
    return words;
  }

  public EngramConfig config() {
    return config;
  }

  /** Opens the existing control plane, runs {@code work} on it, closes it; blocks the calling (main) thread. */
  public <T> T run(Function<ControlPlane, Future<T>> work) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      return ControlPlanes.openExisting(vertx, config)
          .compose(cp -> work.apply(cp).eventually(cp::close))
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.MINUTES);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
