package dev.engram.cloud.auth;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** API key scopes. {@code admin} implies the others. */
public enum Scope {
  MEMORIES_READ("memories:read"),
  MEMORIES_WRITE("memories:write"),
  ADMIN("admin");

  private final String value;

  Scope(String value) {
    this.value = value;
  }

  public String value() {
    return value;
  }

  public static Optional<Scope> parse(String value) {
    return Arrays.stream(values()).filter(s -> s.value.equals(value)).findFirst();
  }

  public static List<String> all() {
    return Arrays.stream(values()).map(Scope::value).toList();
  }
}
