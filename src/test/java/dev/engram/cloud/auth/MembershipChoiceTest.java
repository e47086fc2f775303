package dev.engram.cloud.auth;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.controlplane.ExternalIdentity.Membership;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Which tenant an external user's token acts in. */
class MembershipChoiceTest {

  private static final Membership OLDEST = new Membership("tn_first", "owner", "active");
  private static final Membership LATER = new Membership("tn_second", "viewer", "active");
  private static final Membership SUSPENDED = new Membership("tn_third", "admin", "suspended");
  private static final List<Membership> ALL = List.of(OLDEST, LATER, SUSPENDED);

  @Test
  void without_the_header_the_oldest_membership_is_used() {
    assertEquals(OLDEST, AuthVerticle.chooseMembership(ALL, null));
  }

  @Test
  void the_header_picks_one_of_the_users_own_tenants_with_its_role() {
    assertEquals(LATER, AuthVerticle.chooseMembership(ALL, "tn_second"));
  }

  @Test
  void the_header_never_reaches_a_tenant_the_user_is_not_a_member_of() {
    ApiException e = assertThrows(ApiException.class, () -> AuthVerticle.chooseMembership(ALL, "tn_someone_else"));
    assertEquals(403, e.status());
    assertEquals("not_a_member", e.code());
    assertEquals("tenant_inactive", assertThrows(ApiException.class,
        () -> AuthVerticle.chooseMembership(ALL, "tn_third")).code());
    assertEquals("no_membership", assertThrows(ApiException.class,
        () -> AuthVerticle.chooseMembership(List.of(), null)).code());
  }
}
