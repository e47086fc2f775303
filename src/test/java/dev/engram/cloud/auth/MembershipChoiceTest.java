package dev.engram.cloud.auth;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.controlplane.Membership;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Which tenant a user's token acts in. */
class MembershipChoiceTest {

  private static final Membership OLDEST = new Membership("tn_first", "first", "owner", "active", List.of());
  private static final Membership LATER = new Membership("tn_second", "second-co", "viewer", "active", List.of());
  private static final Membership SUSPENDED = new Membership("tn_third", "third", "admin", "suspended", List.of());
  private static final List<Membership> ALL = List.of(OLDEST, LATER, SUSPENDED);

  @Test
  void without_the_header_the_oldest_membership_is_used() {
    assertEquals(OLDEST, AuthVerticle.chooseMembership(ALL, List.of()));
  }

  @Test
  void the_headers_pick_one_of_the_users_own_tenants_by_id_or_slug_with_its_role() {
    assertEquals(LATER, AuthVerticle.chooseMembership(ALL, List.of("tn_second")));
    assertEquals(LATER, AuthVerticle.chooseMembership(ALL, List.of("second-co")));
    assertEquals(LATER, AuthVerticle.chooseMembership(ALL, List.of("second-co", "tn_second")),
        "both headers may name it, one by slug and one by id");
  }

  @Test
  void the_headers_never_reach_a_tenant_the_user_is_not_a_member_of_nor_disagree() {
    ApiException e = assertThrows(ApiException.class, () -> AuthVerticle.chooseMembership(ALL, List.of("tn_someone_else")));
    assertEquals(403, e.status());
    assertEquals("tenant_mismatch", e.code());
    assertEquals("tenant_mismatch", assertThrows(ApiException.class,
        () -> AuthVerticle.chooseMembership(ALL, List.of("first", "second-co"))).code());
    assertEquals("no_membership", assertThrows(ApiException.class,
        () -> AuthVerticle.chooseMembership(List.of(), List.of())).code());
  }
}
