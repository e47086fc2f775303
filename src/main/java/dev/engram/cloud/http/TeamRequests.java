package dev.engram.cloud.http;

import dev.engram.cloud.auth.Role;
import dev.engram.cloud.auth.Slugs;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.engine.Workspaces;
import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The requests of the team, key-lifecycle, tenant, audit and operator routes: one small method per operation that
 * turns the validated body or query into a record (a 400 naming the field otherwise), so that the handlers see only
 * checked values.
 */
final class TeamRequests {

  static final Pattern USER_ID = Pattern.compile("usr_[a-z0-9]{20}");
  static final Pattern INVITE_ID = Pattern.compile("inv_[a-z0-9]{20}");
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");
  static final int MAX_WORKSPACES = 20;
  static final int MAX_KEY_DAYS = 3650;
  static final int MAX_AUDIT_PAGE = 200;
  static final int DEFAULT_AUDIT_PAGE = 50;

  private TeamRequests() {}

  record CreateInvite(String email, Role role, List<String> workspaces) {}

  /** {@code POST /v1/invites {email, role, workspaces?}}: the owner role is not invited (it is transferred). */
  static CreateInvite createInvite(Buffer body) {
    JsonInput in = JsonInput.parse(body, Set.of("email", "role", "workspaces"));
    Role role = role(in.text("role", 16));
    if (role == Role.OWNER) {
      throw ApiException.badRequest("invalid_field", "Field 'role' must be admin, member or viewer; ownership is "
          + "transferred (POST /v1/tenant/transfer).");
    }
    List<String> workspaces = workspaces(in);
    return new CreateInvite(email(in), role, workspaces == null ? List.of() : workspaces);
  }

  record AcceptInvite(String token, String email, String password) {}

  /**
   * {@code POST /v1/invites/accept {token, email?, password?}}: with a bearer credential only the token; without,
   * email and password too.
   */
  static AcceptInvite acceptInvite(Buffer body, boolean withCredential) {
    JsonInput in = JsonInput.parse(body, Set.of("token", "email", "password"));
    String token = in.text("token", 100);
    if (withCredential) {
      if (in.has("email") || in.has("password")) {
        throw ApiException.badRequest("invalid_field", "With an Authorization header, send only the token: the "
            + "signed-in user joins.");
      }
      return new AcceptInvite(token, null, null);
    }
    return new AcceptInvite(token, email(in), password(in, "password"));
  }

  record ChangeMember(Role role, List<String> workspaces) {}

  /** {@code PATCH /v1/members/{user_id} {role?, workspaces?}}: {@code workspaces: []} lifts a restriction. */
  static ChangeMember changeMember(Buffer body) {
    JsonInput in = JsonInput.parse(body, Set.of("role", "workspaces"));
    Role role = in.has("role") ? role(in.text("role", 16)) : null;
    List<String> workspaces = in.has("workspaces") ? workspaces(in) : null;
    if (role == null && workspaces == null) {
      throw ApiException.badRequest("missing_field", "Give 'role', 'workspaces' or both.");
    }
    return new ChangeMember(role, workspaces);
  }

  record Transfer(String userId) {}

  static Transfer transfer(Buffer body) {
    JsonInput in = JsonInput.parse(body, Set.of("user_id"));
    return new Transfer(userId(in.text("user_id", 40)));
  }

  record UpdateTenant(String name, String slug) {}

  static UpdateTenant updateTenant(Buffer body) {
    JsonInput in = JsonInput.parse(body, Set.of("name", "slug"));
    String name = in.has("name") ? in.text("name", 100) : null;
    String slug = in.has("slug") ? slug(in.text("slug", 64), "slug") : null;
    if (name == null && slug == null) throw ApiException.badRequest("missing_field", "Give 'name', 'slug' or both.");
    return new UpdateTenant(name, slug);
  }

  record DeleteTenant(String confirm) {}

  static DeleteTenant deleteTenant(Buffer body) {
    JsonInput in = JsonInput.parse(body, Set.of("confirm"));
    return new DeleteTenant(in.text("confirm", 64));
  }

  record ChangePassword(String current, String next) {}

  static ChangePassword changePassword(Buffer body) {
    JsonInput in = JsonInput.parse(body, Set.of("current_password", "new_password"));
    return new ChangePassword(in.string("current_password", true, 256), password(in, "new_password"));
  }

  record RotateKey(Integer overlapSeconds, Instant expiresAt) {}

  /** {@code POST /v1/api-keys/{id}/rotate {overlap_seconds?, expires_in_days?, expires_at?}}. */
  static RotateKey rotateKey(Buffer body, int maxOverlapSeconds) {
    JsonInput in = body == null || body.length() == 0 ? JsonInput.of(new io.vertx.core.json.JsonObject(), Set.of())
        : JsonInput.parse(body, Set.of("overlap_seconds", "expires_in_days", "expires_at"));
    Long overlap = in.integer("overlap_seconds", 0, maxOverlapSeconds);
    return new RotateKey(overlap == null ? null : overlap.intValue(), expiry(in));
  }

  /**
   * A key's expiry: {@code expires_in_days} (1–3650) or {@code expires_at} (a future RFC 3339 time within 3650 days),
   * not both; null for none.
   */
  static Instant expiry(JsonInput in) {
    Long days = in.integer("expires_in_days", 1, MAX_KEY_DAYS);
    String at = in.string("expires_at", false, 64);
    if (days != null && at != null) {
      throw ApiException.badRequest("invalid_field", "Give 'expires_in_days' or 'expires_at', not both.");
    }
    Instant now = Instant.now();
    if (days != null) return now.plus(days, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MILLIS);
    if (at == null) return null;
    Instant when;
    try {
      when = Timestamps.parse(at).truncatedTo(ChronoUnit.MILLIS);
    } catch (Timestamps.InvalidTimestamp e) {
      throw ApiException.badRequest("invalid_field", "Field 'expires_at' " + e.getMessage() + ".");
    }
    if (!when.isAfter(now) || when.isAfter(now.plus(MAX_KEY_DAYS, ChronoUnit.DAYS))) {
      throw ApiException.badRequest("invalid_field", "Field 'expires_at' must be in the future, within "
          + MAX_KEY_DAYS + " days.");
    }
    return when;
  }

  record AuditQuery(String action, String actor, Instant since, Instant until, Long cursor, int limit) {}

  /** {@code GET /v1/audit-log?action=&actor=&since=&until=&cursor=&limit=}; the export takes the same but paging. */
  static AuditQuery auditQuery(RoutingContext ctx, boolean paged) {
    MultiMap params = Params.check(ctx, paged ? Set.of("action", "actor", "since", "until", "cursor", "limit")
        : Set.of("action", "actor", "since", "until"));
    return new AuditQuery(label(params.get("action"), "action"), label(params.get("actor"), "actor"),
        time(params.get("since"), "since"), time(params.get("until"), "until"),
        params.get("cursor") == null ? null : auditCursor(params.get("cursor")),
        Params.limit(params.get("limit"), DEFAULT_AUDIT_PAGE, MAX_AUDIT_PAGE));
  }

  /** An audit-log cursor: base64url of {@code audit:<id of the last entry shown>}. */
  static String auditCursor(long id) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("audit:" + id).getBytes(StandardCharsets.UTF_8));
  }

  private static long auditCursor(String cursor) {
    try {
      String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      if (text.startsWith("audit:")) return Long.parseLong(text.substring(6));
    } catch (IllegalArgumentException ignored) {
      // not one of ours: the same answer as any other
    }
    throw ApiException.badRequest("invalid_cursor", "The cursor is not one this API returned.");
  }

  record OperatorList(String after, int limit) {}

  /** {@code GET /v1/operator/tenants?limit=&cursor=}: the cursor is the last tenant id shown. */
  static OperatorList operatorList(RoutingContext ctx) {
    MultiMap params = Params.check(ctx, Set.of("limit", "cursor"));
    String cursor = params.get("cursor");
    if (cursor != null && !cursor.matches("tn_[a-z0-9]{1,40}")) {
      throw ApiException.badRequest("invalid_cursor", "The cursor is not one this API returned.");
    }
    return new OperatorList(cursor, Params.limit(params.get("limit"), 100, 1000));
  }

  record SetPlan(String plan) {}

  static SetPlan setPlan(Buffer body) {
    JsonInput in = JsonInput.parse(body, Set.of("plan"));
    return new SetPlan(in.text("plan", 64));
  }

  /** A tenant named in an operator's path: its id or slug. */
  static String tenantRef(RoutingContext ctx) {
    String ref = ctx.pathParam("ref");
    if (!ref.matches("tn_[a-z0-9]{1,40}") && !Slugs.valid(ref)) {
      throw ApiException.badRequest("invalid_id", "Name a tenant by its id (tn_…) or its slug.");
    }
    return ref;
  }

  static String userId(String raw) {
    if (!USER_ID.matcher(raw).matches()) {
      throw ApiException.badRequest("invalid_id", "User ids look like 'usr_' followed by 20 letters or digits.");
    }
    return raw;
  }

  static String inviteId(String raw) {
    if (!INVITE_ID.matcher(raw).matches()) {
      throw ApiException.badRequest("invalid_id", "Invite ids look like 'inv_' followed by 20 letters or digits.");
    }
    return raw;
  }

  /** A slug as given, or a 400 naming the field and the rule. */
  static String slug(String raw, String field) {
    if (!Slugs.valid(raw)) {
      throw ApiException.badRequest("invalid_slug", "Field '" + field + "' must be " + Slugs.rule() + ".");
    }
    return raw;
  }

  static String email(JsonInput in) {
    String email = in.text("email", 254).toLowerCase(Locale.ROOT);
    if (!EMAIL.matcher(email).matches()) {
      throw ApiException.badRequest("invalid_field", "Field 'email' must be an email address.");
    }
    return email;
  }

  static String password(JsonInput in, String field) {
    String password = in.string(field, true, 256);
    if (password.length() < 8) {
      throw ApiException.badRequest("invalid_field", "Field '" + field + "' must be at least 8 characters.");
    }
    return password;
  }

  private static Role role(String raw) {
    return Role.parse(raw).orElseThrow(() -> ApiException.badRequest("invalid_field",
        "Field 'role' must be one of owner, admin, member, viewer."));
  }

  /** Normalized workspace names, or null when absent; an empty list is allowed (every workspace). */
  private static List<String> workspaces(JsonInput in) {
    List<String> names = in.labels("workspaces", MAX_WORKSPACES, 64);
    return names == null ? null : names.stream().map(Workspaces::normalize).distinct().toList();
  }

  private static String label(String raw, String name) {
    if (raw == null) return null;
    if (raw.isBlank() || raw.length() > 128) {
      throw ApiException.badRequest("invalid_parameter", name + " must be 1 to 128 characters.");
    }
    return raw;
  }

  private static Instant time(String raw, String name) {
    if (raw == null) return null;
    try {
      return Timestamps.parseTimeOrDate(raw);
    } catch (Timestamps.InvalidTimestamp e) {
      throw ApiException.badRequest("invalid_parameter", name + " " + e.getMessage() + ".");
    }
  }
}
