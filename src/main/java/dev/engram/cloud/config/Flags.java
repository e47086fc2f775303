package dev.engram.cloud.config;

import java.util.HashMap;
import java.util.Map;

/** Parses {@code --name value} and {@code --name=value} flags. */
final class Flags {

  private Flags() {}

  static Map<String, String> parse(String[] args) {
    Map<String, String> flags = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + arg + "'");
      }
      String name = arg.substring(2);
      int eq = name.indexOf('=');
      if (eq >= 0) {
        flags.put(name.substring(0, eq), name.substring(eq + 1));
      } else if (i + 1 < args.length) {
        flags.put(name, args[++i]);
      } else {
        throw new IllegalArgumentException("flag --" + name + " needs a value");
      }
    }
    for (String name : flags.keySet()) {
      if (!name.equals("port") && !name.equals("data-dir") && !name.equals("config") && !name.equals("host")
          && !name.equals("metrics-port")) {
        throw new IllegalArgumentException("unknown flag --" + name
            + " (known: --port, --host, --metrics-port, --data-dir, --config)");
      }
    }
    return flags;
  }
}
