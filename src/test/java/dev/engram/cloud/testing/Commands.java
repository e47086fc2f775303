package dev.engram.cloud.testing;

import dev.engram.cloud.admin.AdminCommand;
import dev.engram.cloud.audit.AuditCommand;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Runs the command-line tools in this JVM, as {@code java -jar engram-cloud.jar audit|admin ...} would. */
public final class Commands {

  /** What a command printed and how it exited. */
  public record Outcome(int exit, String out, String err) {}

  private Commands() {}

  public static Outcome audit(List<String> args, Map<String, String> env) {
    return run(args, env, true);
  }

  public static Outcome admin(List<String> args, Map<String, String> env) {
    return run(args, env, false);
  }

  private static Outcome run(List<String> args, Map<String, String> env, boolean audit) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
         PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      int exit = audit ? AuditCommand.run(args, env, o, e) : AdminCommand.run(args, env, o, e);
      return new Outcome(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
  }
}
