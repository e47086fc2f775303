package dev.engram.cloud.controlplane;

import dev.engram.cloud.bus.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The behaviour every {@link ControlPlane} implementation must have. Each implementation gets a subclass that
 * says how to open a fresh, empty one.
 */
abstract class ControlPlaneContract {

  protected Vertx vertx;
  protected ControlPlane controlPlane;

  protected abstract Future<ControlPlane> open(Vertx vertx) throws Exception;

  @BeforeEach
  void openStore() throws Exception {
    vertx = Vertx.vertx();
    controlPlane = await(open(vertx));
  }

  @AfterEach
  void closeStore() throws Exception {
    await(controlPlane.close());
    await(vertx.close());
  }

  static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static String id(String prefix) {
    return prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
  }

  private NewAccount account(String email) {
    String tenant = id("tn_");
    String user = id("usr_");
    return new NewAccount(tenant, "Tenant", user, email, "hash",
        new NewApiKey(id("key_"), tenant, "default", "ek_live_abcd", id("hash-"), List.of("admin"), user, null));
  }

  /** A cap no test reaches, for tests about something else. */
  private static final int NO_CAP = 1_000;

  private Future<Void> insert(NewApiKey key) {
    return controlPlane.insertApiKey(key, NO_CAP);
  }

  private Future<Boolean> revoke(String tenantId, String keyId) {
    return controlPlane.revokeApiKey(tenantId, keyId, List.of());
  }

  /** Every key of the tenant, in one page. */
  private List<ApiKeyRecord> allKeys(String tenantId) throws Exception {
    ApiKeyPage page = await(controlPlane.listApiKeys(new ApiKeyQuery(tenantId, List.of(), NO_CAP, null)));
    assertNull(page.nextAfter());
    return page.keys();
  }

  private NewApiKey key(NewAccount a, String name, List<String> scopes) {
    return new NewApiKey(id("key_"), a.tenantId(), name, "ek_live_abcd", id("hash-"), scopes, a.userId(), null);
  }

  private static List<String> ids(ApiKeyPage page) {
    return page.keys().stream().map(ApiKeyRecord::id).toList();
  }

  @Test
  void an_account_can_sign_in_and_its_first_key_resolves() throws Exception {
    NewAccount a = account("owner@example.com");
    await(controlPlane.createAccount(a));

    UserLogin login = await(controlPlane.findLogin("owner@example.com")).orElseThrow();
    assertEquals(a.userId(), login.userId());
    assertEquals(a.tenantId(), login.tenantId());
    assertEquals("owner", login.role());
    assertEquals("active", login.tenantStatus());

    ApiKeyRecord key = await(controlPlane.findApiKeyByHash(a.firstKey().keyHash())).orElseThrow();
    assertEquals(a.firstKey().id(), key.id());
    assertEquals(a.tenantId(), key.tenantId());
    assertEquals(List.of("admin"), key.scopes());
    assertTrue(await(controlPlane.findApiKeyByHash("no-such-hash")).isEmpty());
    assertTrue(await(controlPlane.findLogin("nobody@example.com")).isEmpty());
    assertEquals(a.userId(), await(controlPlane.findLogin("Owner@Example.COM")).orElseThrow().userId(),
        "emails match whatever their case");
  }

  @Test
  void a_key_keeps_its_expiry_and_shows_its_revocation_in_lookups_and_listings() throws Exception {
    NewAccount a = account("expiry@example.com");
    await(controlPlane.createAccount(a));
    Instant expires = Instant.parse("2030-01-02T03:04:05.678Z");
    NewApiKey key = new NewApiKey(id("key_"), a.tenantId(), "ci", "ek_test_abcd", id("hash-"),
        List.of("memories:read", "memories:write"), a.userId(), expires);
    await(insert(key));

    ApiKeyRecord stored = await(controlPlane.findApiKeyByHash(key.keyHash())).orElseThrow();
    assertEquals(expires, stored.expiresAt());
    assertEquals(List.of("memories:read", "memories:write"), stored.scopes());
    assertEquals("ci", stored.name());
    assertEquals("ek_test_abcd", stored.prefix());
    assertNull(stored.revokedAt());

    Instant before = Instant.now().minusSeconds(5);
    assertTrue(await(revoke(a.tenantId(), key.id())));
    Instant revokedAt = await(controlPlane.findApiKeyByHash(key.keyHash())).orElseThrow().revokedAt();
    assertNotNull(revokedAt);
    assertTrue(revokedAt.isAfter(before), "revoked now, not at some other time");
    ApiKeyRecord listed = allKeys(a.tenantId()).stream()
        .filter(k -> k.id().equals(key.id())).findFirst().orElseThrow();
    assertEquals(revokedAt, listed.revokedAt());
    // Keys made in the same millisecond may list in either order: find the account's own key by id.
    assertNull(allKeys(a.tenantId()).stream().filter(k -> !k.id().equals(key.id()))
        .findFirst().orElseThrow().revokedAt(), "the first key is untouched");
  }

  @Test
  void revoking_another_tenants_key_or_an_unknown_key_changes_nothing() throws Exception {
    NewAccount a = account("own@example.com");
    NewAccount b = account("other@example.com");
    await(controlPlane.createAccount(a));
    await(controlPlane.createAccount(b));

    assertFalse(await(revoke(b.tenantId(), a.firstKey().id())));
    assertFalse(await(revoke(a.tenantId(), "key_unknown")));
    assertFalse(await(revoke("tn_unknown", a.firstKey().id())));
    assertNull(await(controlPlane.findApiKeyByHash(a.firstKey().keyHash())).orElseThrow().revokedAt());
    assertTrue(allKeys("tn_unknown").isEmpty());
    assertEquals(List.of(b.firstKey().id()),
        allKeys(b.tenantId()).stream().map(ApiKeyRecord::id).toList());
    assertTrue(await(controlPlane.auditLog(b.tenantId(), 10)).stream()
        .noneMatch(e -> e.action().equals("api_key.revoked")), "no audit line for a refused revocation");
  }

  @Test
  void a_taken_email_is_409_whatever_its_case_and_writes_nothing() throws Exception {
    await(controlPlane.createAccount(account("taken@example.com")));
    NewAccount dup = account("TAKEN@example.com");
    Exception e = assertThrows(Exception.class, () -> await(controlPlane.createAccount(dup)));
    ApiException api = assertInstanceOf(ApiException.class, e.getCause());
    assertEquals(409, api.status());
    assertTrue(await(controlPlane.findApiKeyByHash(dup.firstKey().keyHash())).isEmpty(), "rolled back whole");
    assertTrue(allKeys(dup.tenantId()).isEmpty());
  }

  @Test
  void keys_are_listed_per_tenant_and_revoked_only_by_their_own_tenant() throws Exception {
    NewAccount a = account("a@example.com");
    NewAccount b = account("b@example.com");
    await(controlPlane.createAccount(a));
    await(controlPlane.createAccount(b));
    NewApiKey extra = new NewApiKey(id("key_"), a.tenantId(), "agent", "ek_live_wxyz", id("hash-"),
        List.of("memories:read"), a.userId(), null);
    await(insert(extra));

    assertEquals(List.of(a.firstKey().id(), extra.id()),
        allKeys(a.tenantId()).stream().map(ApiKeyRecord::id).toList());
    assertEquals(1, allKeys(b.tenantId()).size());

    assertFalse(await(revoke(b.tenantId(), extra.id())), "B cannot revoke A's key");
    assertTrue(await(controlPlane.findApiKeyByHash(extra.keyHash())).orElseThrow().revokedAt() == null);
    assertTrue(await(revoke(a.tenantId(), extra.id())));
    assertFalse(await(revoke(a.tenantId(), extra.id())), "already revoked");
    assertTrue(await(controlPlane.findApiKeyByHash(extra.keyHash())).orElseThrow().revokedAt() != null);
  }

  @Test
  void usage_adds_up_per_tenant_and_day() throws Exception {
    NewAccount a = account("usage@example.com");
    await(controlPlane.createAccount(a));
    LocalDate d1 = LocalDate.of(2026, 11, 1);
    LocalDate d2 = LocalDate.of(2026, 11, 2);
    await(controlPlane.foldUsage("segment-1", List.of(new UsageDay(a.tenantId(), d1, 3, 1, 1))));
    await(controlPlane.foldUsage("segment-2", List.of(new UsageDay(a.tenantId(), d1, 2, 0, 4),
        new UsageDay(a.tenantId(), d2, 7, 7, 0))));

    assertEquals(List.of(new UsageDay(a.tenantId(), d1, 5, 1, 5), new UsageDay(a.tenantId(), d2, 7, 7, 0)),
        await(controlPlane.usage(a.tenantId(), d1, d2)));
    assertEquals(List.of(new UsageDay(a.tenantId(), d2, 7, 7, 0)), await(controlPlane.usage(a.tenantId(), d2, d2)));
    assertTrue(await(controlPlane.usage(account("x@example.com").tenantId(), d1, d2)).isEmpty());
  }

  @Test
  void a_billing_customer_is_linked_once_and_each_billing_event_applies_once() throws Exception {
    NewAccount a = account("billing@example.com");
    await(controlPlane.createAccount(a));
    assertTrue(await(controlPlane.billingAccount(a.tenantId())).isEmpty());
    assertEquals("cus_1", await(controlPlane.linkBillingCustomer(a.tenantId(), "cus_1")).customerId());
    assertEquals("cus_1", await(controlPlane.linkBillingCustomer(a.tenantId(), "cus_2")).customerId(),
        "the first customer stays the tenant's");

    BillingAccount active = new BillingAccount(a.tenantId(), "cus_1", "sub_1", "active", "pro",
        Instant.parse("2026-12-01T00:00:00Z"), false, null);
    assertTrue(await(controlPlane.applyBillingChange(new BillingChange("evt_1", "checkout.session.completed", active,
        "pro"))));
    assertEquals(Optional.of("pro"), await(controlPlane.tenantPlan(a.tenantId())));
    assertEquals(Optional.of(active), await(controlPlane.billingAccount(a.tenantId())));
    List<String> actions = await(controlPlane.auditLog(a.tenantId(), 10)).stream().map(AuditEntry::action).toList();
    assertTrue(actions.contains("billing.subscription_changed") && actions.contains("tenant.plan_changed"), actions.toString());

    BillingAccount pastDue = new BillingAccount(a.tenantId(), "cus_1", "sub_1", "past_due", "pro",
        Instant.parse("2026-12-01T00:00:00Z"), true, Instant.parse("2026-11-20T10:00:00Z"));
    assertFalse(await(controlPlane.applyBillingChange(new BillingChange("evt_1", "invoice.payment_failed", pastDue,
        "free"))), "an event id applied before changes nothing");
    assertEquals(Optional.of("pro"), await(controlPlane.tenantPlan(a.tenantId())));
    assertTrue(await(controlPlane.applyBillingChange(new BillingChange("evt_2", "invoice.payment_failed", pastDue,
        "pro"))));
    assertEquals(Optional.of(pastDue), await(controlPlane.billingAccount(a.tenantId())));
  }

  @Test
  void a_spool_segment_folded_twice_counts_once_and_a_missing_tenant_is_skipped() throws Exception {
    NewAccount a = account("refold@example.com");
    await(controlPlane.createAccount(a));
    LocalDate day = LocalDate.of(2026, 11, 3);
    List<UsageDay> segment = List.of(new UsageDay(a.tenantId(), day, 4, 1, 2),
        new UsageDay("tn_never_created", day, 9, 9, 9));
    assertTrue(await(controlPlane.foldUsage("segment-replayed", segment)));
    assertFalse(await(controlPlane.foldUsage("segment-replayed", segment)), "the replay adds nothing");
    assertTrue(await(controlPlane.foldUsage("segment-next", List.of(new UsageDay(a.tenantId(), day, 1, 0, 0)))));
    assertEquals(List.of(new UsageDay(a.tenantId(), day, 5, 1, 2)), await(controlPlane.usage(a.tenantId(), day, day)));
    assertTrue(await(controlPlane.usage("tn_never_created", day, day)).isEmpty());
  }

  private static final String ISSUER = "https://auth.example.com";

  private NewAccount identityAccount(String email) {
    String tenant = id("tn_");
    String user = id("usr_");
    return new NewAccount(tenant, "Tenant", user, email, null,
        new NewApiKey(id("key_"), tenant, "default", "ek_live_abcd", id("hash-"), List.of("admin"), user, null));
  }

  @Test
  void an_identity_account_is_found_by_issuer_and_subject_with_its_membership() throws Exception {
    NewAccount a = identityAccount("ext@example.com");
    await(controlPlane.createAccountWithIdentity(a, ISSUER, "subject-1"));

    ExternalIdentity found = await(controlPlane.findIdentity(ISSUER, "subject-1")).orElseThrow();
    assertEquals(a.userId(), found.userId());
    assertEquals(List.of(new ExternalIdentity.Membership(a.tenantId(), "owner", "active")), found.memberships());
    assertTrue(await(controlPlane.findIdentity(ISSUER, "subject-2")).isEmpty());
    assertTrue(await(controlPlane.findIdentity("https://other.example.com", "subject-1")).isEmpty(),
        "a subject belongs to its issuer");
    assertEquals(a.tenantId(), await(controlPlane.findApiKeyByHash(a.firstKey().keyHash())).orElseThrow().tenantId());
    assertEquals(null, await(controlPlane.findLogin("ext@example.com")).orElseThrow().passwordHash(),
        "no password: password sign-in can never match");
  }

  @Test
  void identity_accounts_need_no_email() throws Exception {
    NewAccount a = identityAccount(null);
    NewAccount b = identityAccount(null);
    await(controlPlane.createAccountWithIdentity(a, ISSUER, "no-email-a"));
    await(controlPlane.createAccountWithIdentity(b, ISSUER, "no-email-b"));
    assertEquals(b.userId(), await(controlPlane.findIdentity(ISSUER, "no-email-b")).orElseThrow().userId());
  }

  @Test
  void a_linked_subject_or_an_email_of_another_identity_is_409_and_writes_nothing() throws Exception {
    await(controlPlane.createAccountWithIdentity(identityAccount("owner@example.com"), ISSUER, "subject-0"));
    await(controlPlane.createAccountWithIdentity(identityAccount(null), ISSUER, "subject-1"));

    NewAccount sameSubject = identityAccount("new@example.com");
    Exception e = assertThrows(Exception.class,
        () -> await(controlPlane.createAccountWithIdentity(sameSubject, ISSUER, "subject-1")));
    ApiException api = assertInstanceOf(ApiException.class, e.getCause());
    assertEquals(409, api.status());
    assertEquals("identity_taken", api.code());
    assertTrue(allKeys(sameSubject.tenantId()).isEmpty(), "rolled back whole");
    assertTrue(await(controlPlane.findLogin("new@example.com")).isEmpty(), "rolled back whole");

    NewAccount takenEmail = identityAccount("OWNER@example.com");
    e = assertThrows(Exception.class,
        () -> await(controlPlane.createAccountWithIdentity(takenEmail, ISSUER, "subject-2")));
    assertEquals("email_taken", assertInstanceOf(ApiException.class, e.getCause()).code());
    assertTrue(await(controlPlane.findIdentity(ISSUER, "subject-2")).isEmpty());
    assertTrue(allKeys(takenEmail.tenantId()).isEmpty());
  }

  @Test
  void a_verified_identity_takes_its_email_from_an_unverified_password_account_with_an_audit_line() throws Exception {
    NewAccount squatter = account("victim@corp.test");
    await(controlPlane.createAccount(squatter));

    NewAccount victim = identityAccount("Victim@Corp.test");
    await(controlPlane.createAccountWithIdentity(victim, ISSUER, "victim-subject"));

    ExternalIdentity found = await(controlPlane.findIdentity(ISSUER, "victim-subject")).orElseThrow();
    assertEquals(victim.userId(), found.userId());
    assertEquals(List.of(new ExternalIdentity.Membership(victim.tenantId(), "owner", "active")), found.memberships());
    UserLogin login = await(controlPlane.findLogin("victim@corp.test")).orElseThrow();
    assertEquals(victim.userId(), login.userId(), "the email now signs in to the verified identity's user");
    assertNull(login.passwordHash(), "which has no password: the squatter's password opens nothing");

    assertEquals(squatter.tenantId(), await(controlPlane.findApiKeyByHash(squatter.firstKey().keyHash())).orElseThrow()
        .tenantId(), "the password account keeps its tenant and keys");
    AuditEntry released = await(controlPlane.auditLog(squatter.tenantId(), 1)).get(0);
    assertEquals("user.email_released", released.action());
    assertEquals(squatter.userId(), released.target());
    assertEquals(ISSUER, released.details().getString("issuer"));
    AuditEntry claimed = await(controlPlane.auditLog(victim.tenantId(), 1)).get(0);
    assertEquals("user.email_claimed", claimed.action());
    assertEquals(victim.userId(), claimed.target());
    assertEquals(squatter.userId(), claimed.details().getString("released_from"));

    Exception e = assertThrows(Exception.class, () -> await(controlPlane.createAccount(account("VICTIM@corp.test"))));
    assertEquals("email_taken", assertInstanceOf(ApiException.class, e.getCause()).code(),
        "a verified email is not released again");
  }

  @Test
  void a_new_tenant_is_on_the_free_plan_until_its_plan_is_set() throws Exception {
    NewAccount a = account("plan@example.com");
    NewAccount b = account("plan-b@example.com");
    await(controlPlane.createAccount(a));
    await(controlPlane.createAccount(b));
    assertEquals(Optional.of("free"), await(controlPlane.tenantPlan(a.tenantId())));

    assertTrue(await(controlPlane.setTenantPlan(a.tenantId(), "pro")));
    assertEquals(Optional.of("pro"), await(controlPlane.tenantPlan(a.tenantId())));
    assertEquals(Optional.of("free"), await(controlPlane.tenantPlan(b.tenantId())), "other tenants keep theirs");
    AuditEntry audited = await(controlPlane.auditLog(a.tenantId(), 1)).get(0);
    assertEquals("tenant.plan_changed", audited.action());
    assertEquals("pro", audited.details().getString("plan"));

    assertFalse(await(controlPlane.setTenantPlan("tn_nosuchtenant000000000", "team")));
    assertTrue(await(controlPlane.tenantPlan("tn_nosuchtenant000000000")).isEmpty());
  }

  @Test
  void one_flush_of_several_tenants_keeps_each_tenants_usage_its_own() throws Exception {
    NewAccount a = account("flush-a@example.com");
    NewAccount b = account("flush-b@example.com");
    await(controlPlane.createAccount(a));
    await(controlPlane.createAccount(b));
    LocalDate day = LocalDate.of(2026, 12, 31);
    await(controlPlane.foldUsage("segment-3", List.of(new UsageDay(a.tenantId(), day, 1, 2, 3),
        new UsageDay(b.tenantId(), day, 10, 20, 30), new UsageDay(a.tenantId(), day.minusDays(1), 4, 0, 0))));
    await(controlPlane.foldUsage("segment-4", List.of()));

    assertEquals(List.of(new UsageDay(a.tenantId(), day.minusDays(1), 4, 0, 0), new UsageDay(a.tenantId(), day, 1, 2, 3)),
        await(controlPlane.usage(a.tenantId(), day.minusDays(7), day)));
    assertEquals(List.of(new UsageDay(b.tenantId(), day, 10, 20, 30)),
        await(controlPlane.usage(b.tenantId(), day.minusDays(7), day)));
  }

  @Test
  void big_counters_do_not_overflow() throws Exception {
    NewAccount a = account("big@example.com");
    await(controlPlane.createAccount(a));
    LocalDate day = LocalDate.of(2027, 1, 1);
    long big = 3_000_000_000L;
    await(controlPlane.foldUsage("segment-5", List.of(new UsageDay(a.tenantId(), day, big, big, big))));
    await(controlPlane.foldUsage("segment-6", List.of(new UsageDay(a.tenantId(), day, big, 0, 0))));
    assertEquals(List.of(new UsageDay(a.tenantId(), day, 2 * big, big, big)),
        await(controlPlane.usage(a.tenantId(), day, day)));
  }

  @Test
  void the_audit_log_records_account_and_key_changes_per_tenant_newest_first() throws Exception {
    NewAccount a = account("audit@example.com");
    NewAccount b = account("audit-b@example.com");
    await(controlPlane.createAccount(a));
    await(controlPlane.createAccount(b));
    NewApiKey extra = new NewApiKey(id("key_"), a.tenantId(), "agent", "ek_live_wxyz", id("hash-"),
        List.of("memories:read"), a.userId(), null);
    await(insert(extra));
    await(revoke(a.tenantId(), extra.id()));
    await(controlPlane.audit(new AuditEntry(a.tenantId(), a.userId(), "test.action", "target",
        new JsonObject().put("k", "v").put("n", 2))));

    List<AuditEntry> log = await(controlPlane.auditLog(a.tenantId(), 10));
    assertEquals(List.of("test.action", "api_key.revoked", "api_key.created", "tenant.created"),
        log.stream().map(AuditEntry::action).toList());
    assertEquals(new AuditEntry(a.tenantId(), a.userId(), "test.action", "target",
        new JsonObject().put("k", "v").put("n", 2)), log.get(0));
    assertEquals(extra.id(), log.get(1).target());
    assertEquals(a.userId(), log.get(2).actor());
    assertEquals(new JsonObject(), log.get(3).details(), "no details reads back as an empty object");
    assertEquals(2, await(controlPlane.auditLog(a.tenantId(), 2)).size());

    assertEquals(List.of("tenant.created"),
        await(controlPlane.auditLog(b.tenantId(), 10)).stream().map(AuditEntry::action).toList());
    assertTrue(await(controlPlane.auditLog("tn_unknown", 10)).isEmpty());
  }

  @Test
  void keys_are_paged_oldest_first_and_the_cursor_resumes_after_its_key() throws Exception {
    NewAccount a = account("paged@example.com");
    await(controlPlane.createAccount(a));
    List<String> expected = new java.util.ArrayList<>(List.of(a.firstKey().id()));
    for (int i = 0; i < 6; i++) {
      NewApiKey k = key(a, "k" + i, List.of("memories:read"));
      await(insert(k));
      expected.add(k.id());
    }
    NewAccount other = account("paged-other@example.com");
    await(controlPlane.createAccount(other));

    ApiKeyPage first = await(controlPlane.listApiKeys(new ApiKeyQuery(a.tenantId(), List.of(), 3, null)));
    assertEquals(expected.subList(0, 3), ids(first));
    assertEquals(expected.get(2), first.nextAfter());
    ApiKeyPage second = await(controlPlane.listApiKeys(new ApiKeyQuery(a.tenantId(), List.of(), 3, first.nextAfter())));
    assertEquals(expected.subList(3, 6), ids(second));
    ApiKeyPage last = await(controlPlane.listApiKeys(new ApiKeyQuery(a.tenantId(), List.of(), 3, second.nextAfter())));
    assertEquals(expected.subList(6, 7), ids(last));
    assertNull(last.nextAfter(), "nothing after the last page");

    ApiKeyPage exact = await(controlPlane.listApiKeys(new ApiKeyQuery(a.tenantId(), List.of(), 7, null)));
    assertEquals(expected, ids(exact));
    assertNull(exact.nextAfter(), "a page that holds the rest is the last one");
    assertTrue(await(controlPlane.listApiKeys(new ApiKeyQuery(a.tenantId(), List.of(), 3, other.firstKey().id())))
        .keys().isEmpty(), "a cursor naming another tenant's key finds nothing of this tenant");
    assertTrue(await(controlPlane.listApiKeys(new ApiKeyQuery(other.tenantId(), List.of(), 3, expected.get(0))))
        .keys().isEmpty(), "and this tenant's key is no cursor for the other");
  }

  @Test
  void a_workspace_restriction_lists_and_revokes_only_keys_inside_it() throws Exception {
    NewAccount a = account("restricted@example.com");
    await(controlPlane.createAccount(a));
    NewApiKey backend = key(a, "backend", List.of("admin", "workspace:backend"));
    NewApiKey both = key(a, "both", List.of("memories:read", "workspace:backend", "workspace:frontend"));
    NewApiKey frontend = key(a, "frontend", List.of("memories:read", "workspace:frontend"));
    NewApiKey hr = key(a, "hr", List.of("memories:read", "workspace:hr"));
    NewApiKey unrestricted = key(a, "all", List.of("memories:read"));
    for (NewApiKey k : List.of(backend, both, frontend, hr, unrestricted)) await(insert(k));

    assertEquals(List.of(backend.id()),
        ids(await(controlPlane.listApiKeys(new ApiKeyQuery(a.tenantId(), List.of("backend"), 10, null)))),
        "neither the unrestricted keys nor keys reaching other workspaces");
    assertEquals(List.of(backend.id(), both.id(), frontend.id()),
        ids(await(controlPlane.listApiKeys(new ApiKeyQuery(a.tenantId(), List.of("backend", "frontend"), 10, null)))));
    ApiKeyPage page = await(controlPlane.listApiKeys(new ApiKeyQuery(a.tenantId(), List.of("backend", "frontend"), 2,
        null)));
    assertEquals(List.of(backend.id(), both.id()), ids(page));
    assertEquals(List.of(frontend.id()), ids(await(controlPlane.listApiKeys(
        new ApiKeyQuery(a.tenantId(), List.of("backend", "frontend"), 2, page.nextAfter())))));

    for (NewApiKey outside : List.of(both, frontend, hr, unrestricted)) {
      assertFalse(await(controlPlane.revokeApiKey(a.tenantId(), outside.id(), List.of("backend"))), outside.name());
      assertNull(await(controlPlane.findApiKeyByHash(outside.keyHash())).orElseThrow().revokedAt(), outside.name());
    }
    assertFalse(await(controlPlane.revokeApiKey(a.tenantId(), a.firstKey().id(), List.of("backend", "frontend"))),
        "the owner's unrestricted key is outside every restriction");
    assertNull(await(controlPlane.findApiKeyByHash(a.firstKey().keyHash())).orElseThrow().revokedAt());
    assertTrue(await(controlPlane.revokeApiKey(a.tenantId(), both.id(), List.of("frontend", "backend"))));
    assertTrue(await(controlPlane.revokeApiKey(a.tenantId(), backend.id(), List.of("backend"))));
    assertNotNull(await(controlPlane.findApiKeyByHash(backend.keyHash())).orElseThrow().revokedAt());
  }

  @Test
  void a_tenant_holds_at_most_the_cap_of_active_keys_and_revoked_or_expired_ones_do_not_count() throws Exception {
    NewAccount a = account("capped@example.com");
    NewAccount b = account("capped-b@example.com");
    await(controlPlane.createAccount(a));
    await(controlPlane.createAccount(b));
    NewApiKey second = key(a, "second", List.of("memories:read"));
    await(controlPlane.insertApiKey(second, 3));
    NewApiKey third = key(a, "third", List.of("memories:read"));
    await(controlPlane.insertApiKey(third, 3));

    NewApiKey over = key(a, "over", List.of("memories:read"));
    Exception e = assertThrows(Exception.class, () -> await(controlPlane.insertApiKey(over, 3)));
    ApiException api = assertInstanceOf(ApiException.class, e.getCause());
    assertEquals(409, api.status());
    assertEquals("too_many_api_keys", api.code());
    assertEquals(3, api.extensions().getInteger("limit"));
    assertTrue(await(controlPlane.findApiKeyByHash(over.keyHash())).isEmpty(), "nothing written");
    assertTrue(await(controlPlane.auditLog(a.tenantId(), 10)).stream().noneMatch(x -> over.id().equals(x.target())),
        "no audit line for a refused key");
    await(controlPlane.insertApiKey(key(b, "b-second", List.of("memories:read")), 3));

    assertTrue(await(revoke(a.tenantId(), second.id())));
    await(controlPlane.insertApiKey(over, 3));
    assertThrows(Exception.class, () -> await(controlPlane.insertApiKey(key(a, "again", List.of("admin")), 3)));

    assertTrue(await(revoke(a.tenantId(), third.id())));
    await(controlPlane.insertApiKey(new NewApiKey(id("key_"), a.tenantId(), "expired", "ek_live_abcd", id("hash-"),
        List.of("memories:read"), a.userId(), Instant.now().minusSeconds(60)), 3));
    await(controlPlane.insertApiKey(key(a, "fits", List.of("memories:read")), 3));
    assertThrows(Exception.class, () -> await(controlPlane.insertApiKey(key(a, "full", List.of("admin")), 3)));
    assertEquals(6, allKeys(a.tenantId()).size(), "revoked and expired keys are still listed");
  }

  @Test
  void keys_made_at_once_stop_at_the_cap() throws Exception {
    NewAccount a = account("racing@example.com");
    await(controlPlane.createAccount(a));
    List<Future<Void>> inserts = new java.util.ArrayList<>();
    for (int i = 0; i < 12; i++) inserts.add(controlPlane.insertApiKey(key(a, "k" + i, List.of("memories:read")), 5));
    await(Future.join(inserts).otherwiseEmpty());
    assertEquals(4, inserts.stream().filter(Future::succeeded).count(), "one key existed; four more fit under five");
    assertEquals(5, allKeys(a.tenantId()).size());
  }

  @Test
  void ping_succeeds_on_an_open_store() throws Exception {
    await(controlPlane.ping());
  }
}
