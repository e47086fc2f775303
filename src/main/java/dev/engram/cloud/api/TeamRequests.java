package dev.engram.cloud.api;

import dev.engram.cloud.auth.Role;
import dev.engram.cloud.auth.Slugs;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.model.Workspaces;
import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The parsers of the team, key-lifecycle, tenant, audit-log and operator operations: one method per operation that
 * turns the operation's validated input (openapi.yaml has checked types, lengths, patterns, enums and unknown members)
 * into a record, applying what a schema cannot say (one field or another, times in the future, cursors).
 */
public final class TeamRequests {

  /** The longest a key may live, from creation or rotation. */
  public static final int MAX_KEY_DAYS = 3650;
  /** The default pages of the audit log and of the operator's tenant list (openapi.yaml states the same). */
  static final int DEFAULT_AUDIT_PAGE = 50;
  static final int DEFAULT_TENANT_PAGE = 100;
  private static final Pattern TENANT_ID = Pattern.compile("tn_[a-z0-9]{1,40}");
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");

  private TeamRequests() {}

  // ---- sign-up and keys (the parts the team work added) ----

  /** {@code tenant_slug} of a sign-up, or null for one derived from the tenant name. */
  public static String tenantSlug(JsonObject in) {
    return slug(in, "tenant_slug");
  }

  /** {@code expires_in_days} or {@code expires_at} of a key (creation or rotation), not both; null for none. */
  public static Instant keyExpiry(JsonObject in) {
    Integer days = in.getInteger("expires_in_days");
    String at = in.getString("expires_at");
    if (days != null && at != null) {
      throw Violations.withPointer("invalid_field", "Give 'expires_in_days' or 'expires_at', not both.", "/expires_at");
    }
    Instant now = Instant.now();
    if (days != null) return now.plus(days, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MILLIS);
    if (at == null) return null;
    Instant when;
    try {
      when = Timestamps.parse(at).truncatedTo(ChronoUnit.MILLIS);
    } catch (Timestamps.InvalidTimestamp e) {
      throw Violations.withPointer("invalid_field", "Field 'expires_at' " + e.getMessage() + ".", "/expires_at");
    }
    if (!when.isAfter(now) || when.isAfter(now.plus(MAX_KEY_DAYS, ChronoUnit.DAYS))) {
      throw Violations.withPointer("invalid_field", "Field 'expires_at' must be in the future, within " + MAX_KEY_DAYS
          + " days.", "/expires_at");
    }
    return when;
  }

  public record RotateKey(String keyId, Integer overlapSeconds, Instant expiresAt) {}

  /**
   * {@code POST /v1/api-keys/{id}/rotate {overlap_seconds?, expires_in_days?, expires_at?}}: the overlap is bounded by
   * {@code auth.max_rotation_overlap_seconds} (a configured limit, so checked here); null takes the default.
   */
  public static RotateKey rotateKey(JsonObject in, int maxOverlapSeconds) {
    Integer overlap = in.getInteger("overlap_seconds");
    if (overlap != null && overlap > maxOverlapSeconds) {
      throw Violations.withPointer("invalid_field", "Field 'overlap_seconds' must be at most " + maxOverlapSeconds
          + ".", "/overlap_seconds");
    }
    return new RotateKey(in.getString("id"), overlap, keyExpiry(in));
  }

  // ---- members and invites ----

  public record CreateInvite(String email, Role role, List<String> workspaces) {}

  /** {@code POST /v1/invites {email, role, workspaces?}}: the owner role is not invited (it is transferred). */
  public static CreateInvite createInvite(JsonObject in) {
    List<String> workspaces = workspaces(in);
    return new CreateInvite(email(in, "email"), Role.of(in.getString("role")), workspaces == null ? List.of()
        : workspaces);
  }

  public record AcceptInvite(String token, String email, String password) {}

  /**
   * {@code POST /v1/invites/accept {token, email?, password?}}: with a credential (the user joins) only the token;
   * without, email and password too (an account is made, or signed in to).
   */
  public static AcceptInvite acceptInvite(JsonObject in, boolean withCredential) {
    String token = in.getString("token");
    if (withCredential) {
      for (String name : List.of("email", "password")) {
        if (in.containsKey(name)) {
          throw Violations.withPointer("invalid_field", "With an Authorization header, send only the token: the "
              + "signed-in user joins.", "/" + name);
        }
      }
      return new AcceptInvite(token, null, null);
    }
    for (String name : List.of("email", "password")) {
      if (!in.containsKey(name)) {
        throw Violations.withPointer("missing_field", "Field '" + name + "' is required (or accept with "
            + "'Authorization: Bearer <token>' as a signed-in user).", "/" + name);
      }
    }
    return new AcceptInvite(token, email(in, "email"), in.getString("password"));
  }

  public record ChangeMember(String userId, Role role, List<String> workspaces) {}

  /** {@code PATCH /v1/members/{user_id} {role?, workspaces?}}: {@code workspaces: []} lifts a restriction. */
  public static ChangeMember changeMember(JsonObject in) {
    Role role = in.containsKey("role") ? Role.of(in.getString("role")) : null;
    List<String> workspaces = workspaces(in);
    if (role == null && workspaces == null) {
      throw ApiException.badRequest("empty_update", "Give 'role', 'workspaces' or both.");
    }
    return new ChangeMember(in.getString("user_id"), role, workspaces);
  }

  /** {@code POST /v1/tenant/transfer {user_id}}: the member who becomes the owner. */
  public static String transfer(JsonObject in) {
    return in.getString("user_id");
  }

  // ---- the tenant and the user ----

  public record UpdateTenant(String name, String slug) {}

  public static UpdateTenant updateTenant(JsonObject in) {
    String name = in.containsKey("name") ? in.getString("name").trim() : null;
    String slug = slug(in, "slug");
    if (name == null && slug == null) throw ApiException.badRequest("empty_update", "Give 'name', 'slug' or both.");
    return new UpdateTenant(name, slug);
  }

  /** {@code DELETE /v1/tenant {confirm}}: the tenant's slug, typed again. */
  public static String deleteTenant(JsonObject in) {
    return in.getString("confirm");
  }

  public record ChangePassword(String current, String next) {}

  public static ChangePassword changePassword(JsonObject in) {
    return new ChangePassword(in.getString("current_password"), in.getString("new_password"));
  }

  // ---- the audit log ----

  public record AuditQuery(String action, String actor, Instant since, Instant until, Long cursor, int limit) {}

  /**
   * {@code GET /v1/audit-log?action=&actor=&since=&until=&cursor=&limit=}; the export takes the same filters without
   * paging.
   */
  public static AuditQuery auditQuery(JsonObject in) {
    Instant since = time(in, "since");
    Instant until = time(in, "until");
    String cursor = in.getString("cursor");
    return new AuditQuery(in.getString("action"), in.getString("actor"), since, until,
        cursor == null ? null : auditCursor(cursor), in.getInteger("limit", DEFAULT_AUDIT_PAGE));
  }

  /** An audit-log cursor: base64url of {@code audit:<id of the last entry shown>}. */
  public static String auditCursor(long id) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("audit:" + id).getBytes(StandardCharsets.UTF_8));
  }

  private static long auditCursor(String cursor) {
    try {
      String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      if (text.startsWith("audit:")) return Long.parseLong(text.substring(6));
    } catch (IllegalArgumentException ignored) {
      // not one of ours: the same answer as any other
    }
    throw Violations.withPointer("invalid_cursor", "The cursor is not one this API returned.", "/cursor");
  }

  // ---- the operator ----

  public record OperatorList(String after, int limit) {}

  /** {@code GET /v1/operator/tenants?limit=&cursor=}: the cursor is the last tenant id shown. */
  public static OperatorList operatorList(JsonObject in) {
    String cursor = in.getString("cursor");
    if (cursor != null && !TENANT_ID.matcher(cursor).matches()) {
      throw Violations.withPointer("invalid_cursor", "The cursor is not one this API returned.", "/cursor");
    }
    return new OperatorList(cursor, in.getInteger("limit", DEFAULT_TENANT_PAGE));
  }

  /** A tenant named in an operator's path: its id ({@code tn_…}) or its slug. */
  public static String tenantRef(JsonObject in) {
    String ref = in.getString("ref");
    if (!TENANT_ID.matcher(ref).matches() && !Slugs.valid(ref)) {
      throw Violations.parameter("invalid_id", "ref", "Name a tenant by its id (tn_…) or its slug.");
    }
    return ref;
  }

  public static String plan(JsonObject in) {
    return in.getString("plan");
  }

  // ---- shared ----

  /**
   * A slug as given ({@code invalid_slug} when it breaks {@link Slugs#rule()}, a rule stated here rather than as a
   * schema pattern so that the answer says it in words), or null when absent.
   */
  private static String slug(JsonObject in, String field) {
    String raw = in.getString(field);
    if (raw != null && !Slugs.valid(raw)) {
      throw Violations.withPointer("invalid_slug", "Field '" + field + "' must be " + Slugs.rule() + ".", "/" + field);
    }
    return raw;
  }

  private static String email(JsonObject in, String field) {
    String email = in.getString(field).trim().toLowerCase(Locale.ROOT);
    if (!EMAIL.matcher(email).matches()) {
      throw Violations.withPointer("invalid_field", "Field '" + field + "' must be an email address.", "/" + field);
    }
    return email;
  }

  /** Normalized workspace names, or null when absent; an empty list is allowed (every workspace). */
  private static List<String> workspaces(JsonObject in) {
    JsonArray names = in.getJsonArray("workspaces");
    return names == null ? null : names.stream().map(w -> Workspaces.normalize((String) w)).distinct().toList();
  }

  private static Instant time(JsonObject in, String name) {
    String raw = in.getString(name);
    if (raw == null) return null;
    try {
      return Timestamps.parseTimeOrDate(raw);
    } catch (Timestamps.InvalidTimestamp e) {
      throw Violations.parameter("invalid_parameter", name, name + " " + e.getMessage() + ".");
    }
  }
}
