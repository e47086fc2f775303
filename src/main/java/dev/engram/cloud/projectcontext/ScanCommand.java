package dev.engram.cloud.projectcontext;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code java -jar engram-cloud.jar scan DIR --url URL --key KEY [--project NAME] [--workspace NAME]}: finds the
 * instruction files in DIR (the fixed list of {@link InstructionFiles}, no recursion) and uploads them to
 * {@code POST /v1/project-context/scan}. The key may come from {@code ENGRAM_API_KEY} instead, so that it stays out
 * of shell history; the project defaults to DIR's name. Exit codes: 0 scanned, 1 the server refused or could not be
 * reached, 2 usage error (nothing sent).
 */
public final class ScanCommand {

  public static final int OK = 0;
  public static final int SERVER_ERROR = 1;
  public static final int USAGE = 2;
  public static final String USAGE_TEXT = "usage: java -jar engram-cloud.jar scan DIR --url URL [--key KEY] [--project NAME]"
      + " [--workspace NAME]\n  --url        the server, e.g. https://engram.example.com\n"
      + "  --key        an API key with memories:write (or set ENGRAM_API_KEY)\n"
      + "  --project    the project name (default: DIR's name)\n"
      + "  --workspace  the workspace to store the context in (default: default)";

  private ScanCommand() {}

  /** Runs the command; {@code args} are those after {@code scan}. */
  public static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
    String dir = null;
    String url = null;
    String key = env.get("ENGRAM_API_KEY");
    String project = null;
    String workspace = null;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("-h") || arg.equals("--help")) {
        out.println(USAGE_TEXT);
        return OK;
      }
      if (arg.startsWith("--")) {
        if (i + 1 >= args.size()) return usage(err, arg + " needs a value");
        String value = args.get(++i);
        switch (arg) {
          case "--url" -> url = value;
          case "--key" -> key = value;
          case "--project" -> project = value;
          case "--workspace" -> workspace = value;
          default -> {
            return usage(err, "unknown option " + arg);
          }
        }
      } else if (dir == null) {
        dir = arg;
      } else {
        return usage(err, "only one DIR may be given");
      }
    }
    if (dir == null) return usage(err, "give the project directory to scan");
    if (url == null) return usage(err, "--url is required");
    if (key == null || key.isBlank()) return usage(err, "--key (or ENGRAM_API_KEY) is required");
    URI endpoint;
    try {
      endpoint = URI.create(url.replaceAll("/+$", "") + "/v1/project-context/scan");
      if (endpoint.getScheme() == null || !endpoint.getScheme().startsWith("http")) throw new IllegalArgumentException();
    } catch (IllegalArgumentException e) {
      return usage(err, "--url must be an http(s) URL");
    }
    Path root = Path.of(dir).toAbsolutePath().normalize();
    if (!Files.isDirectory(root)) return usage(err, dir + " is not a directory");
    if (project == null) project = root.getFileName() == null ? "root" : root.getFileName().toString();

    JsonArray files = new JsonArray();
    List<String> found = new ArrayList<>();
    for (String path : InstructionFiles.discoverable()) {
      Path file = root.resolve(path);
      if (!Files.isRegularFile(file)) continue;
      try {
        files.add(new JsonObject().put("path", path)
            .put("content", new String(Files.readAllBytes(file), StandardCharsets.UTF_8)));
        found.add(path);
      } catch (IOException e) {
        err.println("engram scan: cannot read " + file + ": " + e.getMessage());
        return USAGE;
      }
    }
    // An empty upload would retire the project's whole context: far more likely a wrong directory than intended.
    if (files.isEmpty()) {
      return usage(err, "no instruction files in " + root + " (looked for " + String.join(", ", InstructionFiles.discoverable()) + ")");
    }
    JsonObject body = new JsonObject().put("project", project).put("files", files);
    if (workspace != null) body.put("workspace", workspace);

    HttpResponse<String> response;
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      response = http.send(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(60))
          .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      err.println("engram scan: cannot reach " + endpoint + ": " + e);
      return SERVER_ERROR;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return SERVER_ERROR;
    }
    if (response.statusCode() != 200) {
      err.println("engram scan: the server answered " + response.statusCode() + ": " + problem(response.body()));
      return SERVER_ERROR;
    }
    JsonObject summary = new JsonObject(response.body());
    out.printf("scanned %s into project '%s' (workspace %s): %d files found, %d skipped%n", root,
        summary.getString("project"), summary.getString("workspace"), summary.getInteger("files_found"),
        summary.getInteger("files_skipped"));
    out.println("  files: " + String.join(", ", found));
    out.printf("  memories: %d created, %d updated, %d retired%n", summary.getInteger("memories_created"),
        summary.getInteger("memories_updated"), summary.getInteger("memories_retired"));
    for (Object e : summary.getJsonArray("errors")) out.println("  warning: " + e);
    return OK;
  }

  private static String problem(String body) {
    try {
      JsonObject p = new JsonObject(body);
      return p.getString("detail", body) + (p.containsKey("code") ? " (" + p.getString("code") + ")" : "");
    } catch (RuntimeException e) {
      return body.length() > 200 ? body.substring(0, 200) + "..." : body;
    }
  }

  private static int usage(PrintStream err, String message) {
    err.println("engram scan: " + message);
    err.println(USAGE_TEXT);
    return USAGE;
  }
}
