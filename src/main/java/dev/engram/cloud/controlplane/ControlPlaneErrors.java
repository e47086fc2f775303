package dev.engram.cloud.controlplane;

import dev.engram.cloud.bus.ApiException;
import io.vertx.core.json.JsonObject;

import java.time.Instant;

/** The refusals both control planes give, and the checks they share, so that both give them alike. */
public final class ControlPlaneErrors {

  private ControlPlaneErrors() {}

  public static ApiException slugTaken(String slug) {
    return new ApiException(409, "slug_taken", "The slug '" + slug + "' is taken; choose another.",
        new JsonObject().put("slug", slug));
  }

  public static ApiException emailTaken() {
    return new ApiException(409, "email_taken", "An account with this email already exists.");
  }

  public static ApiException alreadyRotated(String keyId, String replacement) {
    return new ApiException(409, "already_rotated", "API key " + keyId + " was rotated already (to " + replacement
        + "); rotate the new key instead.", new JsonObject().put("rotated_to", replacement));
  }

  public static ApiException ownerRole() {
    return new ApiException(409, "owner_role", "The owner's role cannot be changed or removed, and no one becomes owner "
        + "but by a transfer: POST /v1/tenant/transfer.");
  }

  public static ApiException alreadyMember() {
    return new ApiException(409, "already_a_member", "This user is a member of the tenant already.");
  }

  public static ApiException invitePending(String email) {
    return new ApiException(409, "invite_pending", "A pending invite for " + email
        + " exists already; revoke it (DELETE /v1/invites/{id}) to send a new one.");
  }

  public static ApiException inviteNotFound() {
    return new ApiException(404, "invite_not_found", "No such invite: it may have been revoked.");
  }

  public static ApiException noPassword() {
    return new ApiException(409, "no_password", "This account signs in through its identity provider and has no "
        + "password here.");
  }

  /** The key that replaces {@code old} in a rotation: the new secret's fields, the old key's name, scopes and member. */
  public static NewApiKey replacementOf(ApiKeyRecord old, NewApiKey replacement) {
    return new NewApiKey(replacement.id(), old.tenantId(), old.name(), replacement.prefix(), replacement.keyHash(),
        old.scopes(), replacement.createdBy(), replacement.expiresAt(), old.userId());
  }

  /** A role change may not touch the owner, nor make one (ownership moves by transfer). */
  public static void checkRoleChange(String currentRole, String newRole) {
    if (newRole == null) return;
    if ("owner".equals(newRole) || ("owner".equals(currentRole) && !"owner".equals(newRole))) throw ownerRole();
  }

  /** An invite can be accepted only while pending. */
  public static void checkPending(InviteRecord invite, Instant now) {
    switch (invite.state(now)) {
      case "accepted" -> throw new ApiException(409, "invite_used", "This invite was accepted already.");
      case "revoked" -> throw inviteNotFound();
      case "expired" -> throw new ApiException(410, "invite_expired", "This invite has expired; ask for a new one.");
      default -> { }
    }
  }

  /** Only an active tenant takes new members. */
  public static void checkJoinable(String tenantStatus) {
    if ("suspended".equals(tenantStatus)) throw tenantSuspended();
    if (!"active".equals(tenantStatus)) throw inviteNotFound();
  }

  /** The invite is for one email; a user without an email (an external identity's) may accept it. */
  public static void checkInviteEmail(InviteRecord invite, String userEmail) {
    if (userEmail != null && !userEmail.equalsIgnoreCase(invite.email())) {
      throw ApiException.forbidden("invite_email_mismatch", "This invite is for another email address.");
    }
  }

  public static ApiException tenantSuspended() {
    return ApiException.forbidden("tenant_suspended", "This tenant is suspended; its data is kept. Contact support.");
  }
}
