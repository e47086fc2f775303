package dev.engram.cloud.http;

import dev.engram.cloud.bus.ApiException;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** Strict readers of path and query parameters: unknown or repeated parameters and bad values are 400s. */
final class Params {

  private Params() {}

  /** Rejects query parameters outside {@code allowed}, and any given more than once; returns the parameters. */
  static MultiMap check(RoutingContext ctx, Set<String> allowed) {
    MultiMap params = ctx.queryParams();
    for (String name : params.names()) {
      if (!allowed.contains(name)) {
        throw ApiException.badRequest("unknown_parameter", "Unknown query parameter '" + name + "'."
            + (allowed.isEmpty() ? " This route takes none." : " Allowed: "
            + String.join(", ", allowed.stream().sorted().toList()) + "."));
      }
      if (params.getAll(name).size() > 1) {
        throw ApiException.badRequest("invalid_parameter", "Query parameter '" + name + "' is given more than once.");
      }
    }
    return params;
  }

  /** The memory id in the path. */
  static long id(RoutingContext ctx) {
    String raw = ctx.pathParam("id");
    try {
      long id = Long.parseLong(raw);
      if (id > 0) return id;
    } catch (NumberFormatException ignored) {
      // fall through
    }
    throw ApiException.badRequest("invalid_id", "Memory ids are positive integers; got '" + raw + "'.");
  }

  /** A memory id given as a query parameter. */
  static long memoryId(String name, String raw) {
    if (raw == null) throw ApiException.badRequest("missing_parameter", "Query parameter '" + name + "' is required.");
    try {
      long id = Long.parseLong(raw);
      if (id > 0) return id;
    } catch (NumberFormatException ignored) {
      // fall through
    }
    throw ApiException.badRequest("invalid_parameter", name + " must be a positive integer; got '" + raw + "'.");
  }

  static int limit(String raw, int defaultValue, int max) {
    if (raw == null) return defaultValue;
    try {
      int limit = Integer.parseInt(raw);
      if (limit >= 1 && limit <= max) return limit;
    } catch (NumberFormatException ignored) {
      // fall through
    }
    throw ApiException.badRequest("invalid_parameter", "limit must be an integer from 1 to " + max + ".");
  }

  /** A comma-separated list with at least one non-blank item; null when absent. */
  static List<String> list(String name, String raw) {
    if (raw == null) return null;
    List<String> items = Arrays.stream(raw.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList();
    if (items.isEmpty()) throw ApiException.badRequest("invalid_parameter", name + " must list at least one item.");
    return items;
  }

  static boolean bool(String name, String raw) {
    if ("true".equals(raw)) return true;
    if ("false".equals(raw)) return false;
    throw ApiException.badRequest("invalid_parameter", name + " must be true or false; got '" + raw + "'.");
  }
}
