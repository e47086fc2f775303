package dev.engram.cloud.auth;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A member's role in a tenant, from least to most: a viewer reads; a member also writes memories; an admin also
 * manages keys, members and invites and sees usage and the audit log; the owner (exactly one) also owns the tenant:
 * its slug, its ownership and its deletion. The scopes of a signed-in user follow from the role; an API key acts
 * with at most its member's.
 */
public enum Role {
  VIEWER(List.of(Scope.MEMORIES_READ.value())),
  MEMBER(List.of(Scope.MEMORIES_READ.value(), Scope.MEMORIES_WRITE.value())),
  ADMIN(Scope.all()),
  OWNER(Scope.all());

  private final List<String> scopes;

  Role(List<String> scopes) {
    this.scopes = scopes;
  }

  /** The stored name: {@code owner}, {@code admin}, {@code member}, {@code viewer}. */
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }

  public List<String> scopes() {
    return scopes;
  }

  public boolean atLeast(Role other) {
    return compareTo(other) >= 0;
  }

  public static Optional<Role> parse(String value) {
    return Arrays.stream(values()).filter(r -> r.value().equals(value)).findFirst();
  }

  /** A stored role; an unknown one (which the schema does not allow) counts as the least. */
  public static Role of(String value) {
    return parse(value).orElse(VIEWER);
  }
}
