package dev.engram.cloud.model;

import dev.engram.cloud.bus.ApiException;

import java.util.Locale;
import java.util.regex.Pattern;

/** Engram's workspace names: trimmed, lowercased, {@code [a-z0-9_-]{1,64}}, not starting with {@code _}. */
public final class Workspaces {

  public static final String DEFAULT = "default";
  private static final Pattern VALID = Pattern.compile("[a-z0-9_-]{1,64}");

  private Workspaces() {}

  public static String normalize(String raw) {
    String name = raw.trim().toLowerCase(Locale.ROOT);
    if (name.isEmpty()) {
      throw ApiException.badRequest("invalid_workspace", "Workspace name must not be empty.");
    }
    if (name.length() > 64) {
      throw ApiException.badRequest("invalid_workspace", "Workspace name must be at most 64 characters.");
    }
    if (!VALID.matcher(name).matches()) {
      throw ApiException.badRequest("invalid_workspace",
          "Workspace name may only contain letters, digits, '_' and '-'.");
    }
    if (name.startsWith("_")) {
      throw ApiException.badRequest("invalid_workspace", "Workspace names starting with '_' are reserved.");
    }
    return name;
  }
}
