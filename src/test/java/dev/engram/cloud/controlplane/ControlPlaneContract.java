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

  /** Runs one statement on the store by hand, past the server's own rules (names the table {@code audit_log}). */
  protected abstract void byHand(String sql) throws Exception;

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
    assertEquals(List.of(new Membership(a.tenantId(), a.tenantSlug(), "owner", "active", List.of())),
        login.memberships());
    assertEquals(0, login.tokenVersion());
    assertEquals(login, await(controlPlane.findUser(a.userId())).orElseThrow(), "by id as by email");

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
    assertTrue(actions.contains("billing.subscription_changed") && actions.contains("tenant.plan_changed"),
        actions.toString());

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
    assertEquals(List.of(new Membership(a.tenantId(), a.tenantSlug(), "owner", "active", List.of())), found.memberships());
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
    assertEquals(List.of(new Membership(victim.tenantId(), victim.tenantSlug(), "owner", "active", List.of())), found.memberships());
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
    assertEquals(new JsonObject(), log.get(1).details(), "no details reads back as an empty object");
    assertEquals(a.tenantSlug(), log.get(3).details().getString("slug"));
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

  // ---- teams, key lifecycle, tenants and the audit chain ----

  private static final MemberCap TEAM = new MemberCap(10L, "team");

  private NewAccount account(String email, String slug) {
    NewAccount a = account(email);
    return new NewAccount(a.tenantId(), a.tenantName(), a.userId(), a.email(), a.passwordHash(), a.firstKey(), slug,
        new Actor(null, "203.0.113.9", "curl/8", "req-1"));
  }

  private NewInvite invite(NewAccount a, String email, String role, List<String> workspaces, Instant expires) {
    return new NewInvite(id("inv_"), a.tenantId(), email, role, workspaces, id("inv-hash-"), a.userId(), expires);
  }

  private InviteRecord inviteRecord(NewInvite i) throws Exception {
    return await(controlPlane.findInviteByTokenHash(i.tokenHash())).orElseThrow();
  }

  private static ApiException failure(ThrowingRunnable r) {
    Exception e = assertThrows(Exception.class, r::run);
    return assertInstanceOf(ApiException.class, e.getCause() != null ? e.getCause() : e);
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  private List<String> actions(String tenantId) throws Exception {
    return await(controlPlane.auditLog(tenantId, 100)).stream().map(AuditEntry::action).toList();
  }

  /** A new member of {@code a} through an invite, with a password account of its own. */
  private String join(NewAccount a, String email, String role) throws Exception {
    NewInvite i = invite(a, email, role, List.of(), Instant.now().plusSeconds(3600));
    await(controlPlane.createInvite(i, TEAM, Actor.of(a.userId())));
    String user = id("usr_");
    await(controlPlane.acceptInvite(inviteRecord(i), new NewUser(user, email, "hash"), null, TEAM, Actor.SYSTEM));
    return user;
  }

  @Test
  void a_slug_is_unique_names_its_tenant_and_changes_with_an_audit_entry() throws Exception {
    NewAccount a = account("slug-a@example.com", "acme");
    await(controlPlane.createAccount(a));
    ApiException taken = failure(() -> await(controlPlane.createAccount(account("slug-b@example.com", "acme"))));
    assertEquals(409, taken.status());
    assertEquals("slug_taken", taken.code());
    assertTrue(await(controlPlane.findLogin("slug-b@example.com")).isEmpty(), "nothing written");

    assertEquals(a.tenantId(), await(controlPlane.findTenant("acme")).orElseThrow().id());
    assertEquals("acme", await(controlPlane.findTenant(a.tenantId())).orElseThrow().slug());
    assertTrue(await(controlPlane.updateTenant(a.tenantId(), "Acme Inc", "acme-labs", Actor.of(a.userId()))));
    assertTrue(await(controlPlane.findTenant("acme")).isEmpty(), "the old slug names nothing");
    TenantRecord renamed = await(controlPlane.findTenant("acme-labs")).orElseThrow();
    assertEquals("Acme Inc", renamed.name());
    assertEquals("acme-labs", await(controlPlane.findApiKeyByHash(a.firstKey().keyHash())).orElseThrow().tenantSlug());
    assertEquals(List.of("tenant.renamed", "tenant.slug_changed", "tenant.created"), actions(a.tenantId()));
    AuditEntry created = await(controlPlane.auditLog(a.tenantId(), 10)).get(2);
    assertEquals("203.0.113.9", created.ip(), "the sign-up's origin is on record");
    assertEquals("curl/8", created.userAgent());
    assertEquals("req-1", created.requestId());

    NewAccount b = account("slug-c@example.com", "acme");
    await(controlPlane.createAccount(b));
    assertEquals("slug_taken", failure(() -> await(controlPlane.updateTenant(b.tenantId(), null, "acme-labs",
        Actor.of(b.userId())))).code());
  }

  @Test
  void invites_respect_the_member_cap_pending_invites_and_single_use() throws Exception {
    NewAccount a = account("inviter@example.com");
    await(controlPlane.createAccount(a));
    MemberCap two = new MemberCap(2L, "pro");
    NewInvite first = invite(a, "first@example.com", "member", List.of("backend"), Instant.now().plusSeconds(3600));
    await(controlPlane.createInvite(first, two, Actor.of(a.userId())));
    ApiException capped = failure(() -> await(controlPlane.createInvite(
        invite(a, "second@example.com", "viewer", List.of(), Instant.now().plusSeconds(3600)), two, Actor.SYSTEM)));
    assertEquals(402, capped.status());
    assertEquals("members", capped.extensions().getString("cap"));
    assertEquals(2, capped.extensions().getLong("used"), "the owner and the pending invite");
    assertEquals("invite_pending", failure(() -> await(controlPlane.createInvite(
        invite(a, "FIRST@example.com", "viewer", List.of(), Instant.now().plusSeconds(3600)), TEAM, Actor.SYSTEM)))
        .code());
    assertEquals("already_a_member", failure(() -> await(controlPlane.createInvite(
        invite(a, "inviter@example.com", "viewer", List.of(), Instant.now().plusSeconds(3600)), TEAM, Actor.SYSTEM)))
        .code());
    assertEquals(List.of(first.id()), await(controlPlane.listInvites(a.tenantId())).stream().map(InviteRecord::id)
        .toList());

    InviteRecord pending = inviteRecord(first);
    assertEquals(a.tenantId(), pending.tenantId());
    assertEquals(List.of("backend"), pending.workspaces());
    assertEquals("pending", pending.state(Instant.now()));
    String user = id("usr_");
    assertEquals("invite_email_mismatch", failure(() -> await(controlPlane.acceptInvite(pending,
        new NewUser(user, "someone-else@example.com", "hash"), null, two, Actor.SYSTEM))).code());
    assertEquals("member", await(controlPlane.acceptInvite(pending, new NewUser(user, "first@example.com", "hash"),
        null, two, Actor.SYSTEM)));
    assertEquals("invite_used", failure(() -> await(controlPlane.acceptInvite(pending, null, a.userId(), two,
        Actor.SYSTEM))).code());
    Member joined = await(controlPlane.listMembers(a.tenantId())).get(1);
    assertEquals(new Member(user, "first@example.com", "member", List.of("backend"), joined.joinedAt()), joined);
    assertEquals(List.of(new Membership(a.tenantId(), a.tenantSlug(), "member", "active", List.of("backend"))),
        await(controlPlane.findUser(user)).orElseThrow().memberships());
    assertTrue(await(controlPlane.listInvites(a.tenantId())).isEmpty(), "accepted invites are not pending");

    NewInvite expired = invite(a, "late@example.com", "viewer", List.of(), Instant.now().minusSeconds(1));
    await(controlPlane.createInvite(expired, TEAM, Actor.SYSTEM));
    ApiException gone = failure(() -> await(controlPlane.acceptInvite(inviteRecord(expired),
        new NewUser(id("usr_"), "late@example.com", "h"), null, TEAM, Actor.SYSTEM)));
    assertEquals(410, gone.status());
    assertTrue(await(controlPlane.findLogin("late@example.com")).isEmpty(), "no account made for a refused accept");

    NewInvite revoked = invite(a, "revoked@example.com", "viewer", List.of(), Instant.now().plusSeconds(3600));
    await(controlPlane.createInvite(revoked, TEAM, Actor.SYSTEM));
    assertTrue(await(controlPlane.revokeInvite(a.tenantId(), revoked.id(), Actor.of(a.userId()))));
    assertFalse(await(controlPlane.revokeInvite(a.tenantId(), revoked.id(), Actor.SYSTEM)), "once");
    assertEquals("invite_not_found", failure(() -> await(controlPlane.acceptInvite(inviteRecord(revoked), null,
        a.userId(), TEAM, Actor.SYSTEM))).code());
    assertEquals(List.of("invite.revoked", "invite.created", "invite.created", "invite.accepted", "invite.created",
        "tenant.created"), actions(a.tenantId()));
  }

  @Test
  void the_member_cap_is_checked_again_on_accept_and_an_existing_user_can_join() throws Exception {
    NewAccount a = account("cap-owner@example.com");
    NewAccount b = account("other-owner@example.com");
    await(controlPlane.createAccount(a));
    await(controlPlane.createAccount(b));
    NewInvite i = invite(a, "other-owner@example.com", "admin", List.of(), Instant.now().plusSeconds(3600));
    await(controlPlane.createInvite(i, TEAM, Actor.SYSTEM));
    ApiException capped = failure(() -> await(controlPlane.acceptInvite(inviteRecord(i), null, b.userId(),
        new MemberCap(1L, "free"), Actor.SYSTEM)));
    assertEquals(402, capped.status());
    assertEquals("free", capped.extensions().getString("plan"));

    assertEquals("admin", await(controlPlane.acceptInvite(inviteRecord(i), null, b.userId(), TEAM, Actor.SYSTEM)));
    assertEquals(List.of(b.tenantId(), a.tenantId()), await(controlPlane.findLogin("other-owner@example.com"))
        .orElseThrow().memberships().stream().map(Membership::tenantId).toList(), "oldest membership first");
  }

  @Test
  void roles_change_but_the_owner_stays_one_and_ownership_moves_only_by_transfer() throws Exception {
    NewAccount a = account("roles@example.com");
    await(controlPlane.createAccount(a));
    String member = join(a, "roles-member@example.com", "member");

    Member viewer = await(controlPlane.changeMember(a.tenantId(), member, "viewer", null, Actor.of(a.userId())))
        .orElseThrow();
    assertEquals("viewer", viewer.role());
    assertEquals(List.of("w1"), await(controlPlane.changeMember(a.tenantId(), member, null, List.of("w1"),
        Actor.SYSTEM)).orElseThrow().workspaces());
    assertTrue(await(controlPlane.changeMember(a.tenantId(), member, null, List.of(), Actor.SYSTEM)).orElseThrow()
        .workspaces().isEmpty(), "an empty list lifts the restriction");
    for (String role : List.of("owner")) {
      assertEquals("owner_role", failure(() -> await(controlPlane.changeMember(a.tenantId(), member, role, null,
          Actor.SYSTEM))).code());
    }
    assertEquals("owner_role", failure(() -> await(controlPlane.changeMember(a.tenantId(), a.userId(), "admin", null,
        Actor.SYSTEM))).code());
    assertEquals("owner_role", failure(() -> await(controlPlane.removeMember(a.tenantId(), a.userId(), Actor.SYSTEM)))
        .code());
    assertTrue(await(controlPlane.changeMember(a.tenantId(), "usr_nobody", "viewer", null, Actor.SYSTEM)).isEmpty());

    assertFalse(await(controlPlane.transferOwnership(a.tenantId(), member, a.userId(), Actor.SYSTEM)),
        "only the owner hands ownership on");
    assertTrue(await(controlPlane.transferOwnership(a.tenantId(), a.userId(), member, Actor.of(a.userId()))));
    assertEquals(List.of("admin", "owner"), await(controlPlane.listMembers(a.tenantId())).stream().map(Member::role)
        .toList());
    assertEquals(List.of("tenant.ownership_transferred", "member.workspaces_changed", "member.workspaces_changed",
        "member.role_changed"), actions(a.tenantId()).subList(0, 4));
  }

  @Test
  void a_removed_member_loses_its_keys_and_an_account_left_in_no_tenant() throws Exception {
    NewAccount a = account("remover@example.com");
    await(controlPlane.createAccount(a));
    String member = join(a, "removed@example.com", "admin");
    NewApiKey theirs = new NewApiKey(id("key_"), a.tenantId(), "theirs", "ek_live_them", id("hash-"),
        List.of("admin"), member, null, member);
    await(insert(theirs));
    ApiKeyRecord found = await(controlPlane.findApiKeyByHash(theirs.keyHash())).orElseThrow();
    assertEquals(member, found.userId());
    assertEquals("admin", found.memberRole(), "a key acts with its member's role");

    assertEquals(List.of(theirs.id()), await(controlPlane.removeMember(a.tenantId(), member, Actor.of(a.userId())))
        .orElseThrow());
    assertNotNull(await(controlPlane.findApiKeyByHash(theirs.keyHash())).orElseThrow().revokedAt());
    assertNull(await(controlPlane.findApiKeyByHash(a.firstKey().keyHash())).orElseThrow().revokedAt(),
        "the owner's key stays");
    assertTrue(await(controlPlane.findUser(member)).isEmpty(), "the account belonged to no other tenant");
    assertTrue(await(controlPlane.removeMember(a.tenantId(), member, Actor.SYSTEM)).isEmpty());
    AuditEntry removed = await(controlPlane.auditLog(a.tenantId(), 1)).get(0);
    assertEquals("member.removed", removed.action());
    assertEquals(member, removed.target());
    assertEquals(theirs.id(), removed.details().getJsonArray("keys_revoked").getString(0));
  }

  @Test
  void a_rotated_key_is_replaced_like_for_like_and_expires_at_the_end_of_the_overlap() throws Exception {
    NewAccount a = account("rotate@example.com");
    await(controlPlane.createAccount(a));
    NewApiKey old = key(a, "ci", List.of("memories:read", "workspace:backend"));
    await(controlPlane.insertApiKey(old, 2));
    NewApiKey fresh = new NewApiKey(id("key_"), a.tenantId(), null, "ek_live_new1", id("hash-"), List.of(),
        a.userId(), null, null);
    Instant overlapEnds = Instant.now().plusSeconds(60).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    KeyRotation rotation = await(controlPlane.rotateApiKey(a.tenantId(), old.id(), List.of(), fresh, overlapEnds,
        Actor.of(a.userId()))).orElseThrow();
    assertEquals(old.id(), rotation.replaced().id());
    assertEquals(overlapEnds, rotation.replaced().expiresAt());
    assertEquals(fresh.id(), rotation.replaced().rotatedTo());
    assertEquals("rotating", rotation.replaced().state(Instant.now()));
    ApiKeyRecord replacement = rotation.replacement();
    assertEquals(List.of(fresh.id(), "ci", List.of("memories:read", "workspace:backend"), a.userId(), "active"),
        List.of(replacement.id(), replacement.name(), replacement.scopes(), replacement.userId(),
            replacement.state(Instant.now())), "the replacement is the old key's like");
    assertEquals(old.id(), await(controlPlane.findApiKeyByHash(old.keyHash())).orElseThrow().id());
    assertEquals(fresh.id(), await(controlPlane.findApiKeyByHash(fresh.keyHash())).orElseThrow().id());

    assertEquals("already_rotated", failure(() -> await(controlPlane.rotateApiKey(a.tenantId(), old.id(), List.of(),
        new NewApiKey(id("key_"), a.tenantId(), null, "ek_live_new2", id("hash-"), List.of(), a.userId(), null, null),
        overlapEnds, Actor.SYSTEM))).code());
    assertTrue(await(controlPlane.rotateApiKey(a.tenantId(), old.id(), List.of("frontend"), fresh, overlapEnds,
        Actor.SYSTEM)).isEmpty(), "outside a restriction, as for a revocation");
    assertTrue(await(controlPlane.rotateApiKey(a.tenantId(), "key_unknown", List.of(), fresh, overlapEnds,
        Actor.SYSTEM)).isEmpty());
    assertEquals("api_key.rotated", await(controlPlane.auditLog(a.tenantId(), 1)).get(0).action());
  }

  @Test
  void key_uses_are_kept_to_the_minute_and_never_move_back() throws Exception {
    NewAccount a = account("used@example.com");
    await(controlPlane.createAccount(a));
    Instant later = Instant.parse("2026-05-01T10:05:00Z");
    await(controlPlane.markKeysUsed(List.of(new KeyUse(a.tenantId(), a.firstKey().id(), later))));
    await(controlPlane.markKeysUsed(List.of(new KeyUse(a.tenantId(), a.firstKey().id(),
        Instant.parse("2026-05-01T10:04:00Z")))));
    assertEquals(later, allKeys(a.tenantId()).get(0).lastUsedAt());
    assertEquals(later, await(controlPlane.findApiKeyByHash(a.firstKey().keyHash())).orElseThrow().lastUsedAt());
  }

  @Test
  void an_expired_key_is_audited_once() throws Exception {
    NewAccount a = account("expiring@example.com");
    await(controlPlane.createAccount(a));
    NewApiKey expired = new NewApiKey(id("key_"), a.tenantId(), "old", "ek_live_old1", id("hash-"),
        List.of("memories:read"), a.userId(), Instant.now().minusSeconds(1));
    await(insert(expired));
    assertTrue(await(controlPlane.auditExpiredKeys(1000)) >= 1);
    assertEquals(0, await(controlPlane.auditExpiredKeys(1000)));
    AuditEntry entry = await(controlPlane.auditLog(a.tenantId(), 1)).get(0);
    assertEquals(List.of("api_key.expired", expired.id(), "system"), List.of(entry.action(), entry.target(),
        entry.actor()));
  }

  @Test
  void a_suspended_tenant_keeps_its_data_and_a_deleted_one_keeps_only_its_audit_chain() throws Exception {
    NewAccount a = account("lifecycle@example.com", "lifecycle");
    await(controlPlane.createAccount(a));
    String member = join(a, "lifecycle-member@example.com", "viewer");
    assertTrue(await(controlPlane.setTenantStatus(a.tenantId(), "suspended", Actor.of("operator"))));
    assertEquals("suspended", await(controlPlane.findApiKeyByHash(a.firstKey().keyHash())).orElseThrow().tenantStatus());
    assertEquals("suspended", await(controlPlane.findUser(member)).orElseThrow().memberships().get(0).tenantStatus());
    assertTrue(await(controlPlane.setTenantStatus(a.tenantId(), "active", Actor.of("operator"))));
    assertEquals(List.of("tenant.resumed", "tenant.suspended"), actions(a.tenantId()).subList(0, 2));

    assertEquals(java.util.Set.of(a.userId(), member), java.util.Set.copyOf(await(controlPlane.deleteTenant(
        a.tenantId(), Actor.of(a.userId()))).orElseThrow()));
    assertTrue(await(controlPlane.findApiKeyByHash(a.firstKey().keyHash())).isEmpty(), "its keys are gone");
    assertTrue(await(controlPlane.findLogin("lifecycle@example.com")).isEmpty(), "its users, in no tenant now, too");
    assertTrue(await(controlPlane.findTenant("lifecycle")).isEmpty(), "its slug is free");
    TenantRecord tombstone = await(controlPlane.findTenant(a.tenantId())).orElseThrow();
    assertEquals("deleted", tombstone.status());
    assertEquals("tenant.deleted", await(controlPlane.auditLog(a.tenantId(), 1)).get(0).action());
    assertTrue(await(controlPlane.deleteTenant(a.tenantId(), Actor.SYSTEM)).isEmpty());
    assertFalse(await(controlPlane.setTenantStatus(a.tenantId(), "active", Actor.SYSTEM)));
    assertNull(await(AuditVerifier.verify(controlPlane, tombstone)), "the deleted tenant's chain holds");
    await(controlPlane.createAccount(account("lifecycle@example.com", "lifecycle")));
  }

  @Test
  void a_password_change_raises_the_token_version() throws Exception {
    NewAccount a = account("password@example.com");
    await(controlPlane.createAccount(a));
    assertEquals(1, await(controlPlane.changePassword(a.tenantId(), a.userId(), "new-hash", Actor.of(a.userId()))));
    UserLogin user = await(controlPlane.findUser(a.userId())).orElseThrow();
    assertEquals(List.of("new-hash", 1), List.of(user.passwordHash(), user.tokenVersion()));
    assertEquals("user.password_changed", await(controlPlane.auditLog(a.tenantId(), 1)).get(0).action());

    NewAccount ext = identityAccount(null);
    await(controlPlane.createAccountWithIdentity(ext, ISSUER, "no-password"));
    assertEquals("no_password", failure(() -> await(controlPlane.changePassword(ext.tenantId(), ext.userId(), "h",
        Actor.SYSTEM))).code());
  }

  @Test
  void tenants_list_in_creation_order_a_page_at_a_time() throws Exception {
    List<String> ids = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      NewAccount a = account("listed-" + i + "@example.com");
      await(controlPlane.createAccount(a));
      ids.add(a.tenantId());
    }
    TenantPage first = await(controlPlane.listTenants(null, 3));
    TenantPage second = await(controlPlane.listTenants(first.nextAfter(), 3));
    assertNull(second.nextAfter());
    List<String> listed = new java.util.ArrayList<>();
    first.tenants().forEach(t -> listed.add(t.id()));
    second.tenants().forEach(t -> listed.add(t.id()));
    assertEquals(ids, listed);
    assertEquals(1, first.tenants().get(0).members());
  }

  @Test
  void every_entry_is_chained_and_verification_names_an_edited_or_removed_one() throws Exception {
    NewAccount a = account("chain@example.com");
    NewAccount b = account("chain-b@example.com");
    await(controlPlane.createAccount(a));
    await(controlPlane.createAccount(b));
    for (int i = 0; i < 5; i++) {
      await(controlPlane.audit(AuditEntry.of(a.tenantId(), new Actor(a.userId(), "198.51.100.7", "agent", "req-" + i),
          "test.entry", "t" + i, new JsonObject().put("n", i).put("b", List.of("x", "y")))));
    }
    AuditPage page = await(controlPlane.auditPage(AuditQuery.chain(a.tenantId(), null, 100)));
    assertEquals(6, page.entries().size());
    String prev = AuditChain.GENESIS;
    for (int i = 0; i < 6; i++) {
      AuditRecord r = page.entries().get(i);
      assertEquals(i + 1, r.seq());
      assertEquals(prev, r.prevHash());
      assertEquals(AuditChain.hash(prev, r.seq(), r.at(), r.entry()), r.hash());
      prev = r.hash();
    }
    AuditRecord fourth = page.entries().get(3);
    assertEquals("198.51.100.7", fourth.entry().ip());
    assertEquals(TenantRecordHead.of(await(controlPlane.findTenant(a.tenantId())).orElseThrow()),
        new TenantRecordHead(6, prev), "the tenant records the head");
    assertTrue(await(AuditVerifier.verify(controlPlane)).breaks().isEmpty());

    byHand("UPDATE audit_log SET target = 'edited' WHERE id = " + fourth.id());
    AuditVerifier.Result edited = await(AuditVerifier.verify(controlPlane));
    assertEquals(1, edited.breaks().size(), "only a's chain is broken: " + edited.breaks());
    AuditChain.Break broken = edited.breaks().get(0);
    assertEquals(List.of(a.tenantId(), fourth.id()), List.of(broken.tenantId(), broken.entryId()));
    assertTrue(broken.reason().contains("altered"), broken.reason());

    byHand("DELETE FROM audit_log WHERE tenant_id = '" + b.tenantId() + "'");
    AuditChain.Break truncated = await(AuditVerifier.verify(controlPlane, await(controlPlane.findTenant(b.tenantId()))
        .orElseThrow()));
    assertTrue(truncated.reason().contains("removed"), truncated.reason());
  }

  /** The chain head a tenant's record holds. */
  record TenantRecordHead(long seq, String hash) {
    static TenantRecordHead of(TenantRecord t) {
      return new TenantRecordHead(t.auditSeq(), t.auditHead());
    }
  }

  @Test
  void the_audit_log_filters_by_action_actor_and_time_and_pages_with_a_cursor() throws Exception {
    NewAccount a = account("filters@example.com");
    await(controlPlane.createAccount(a));
    for (int i = 0; i < 4; i++) {
      await(controlPlane.audit(AuditEntry.of(a.tenantId(), Actor.of(i % 2 == 0 ? "alice" : "bob"), "test.x", "t" + i,
          null)));
    }
    AuditPage firstTwo = await(controlPlane.auditPage(new AuditQuery(a.tenantId(), "test.x", null, null, null, null, 2,
        false)));
    assertEquals(List.of("t3", "t2"), firstTwo.entries().stream().map(r -> r.entry().target()).toList());
    AuditPage rest = await(controlPlane.auditPage(new AuditQuery(a.tenantId(), "test.x", null, null, null,
        firstTwo.next(), 2, false)));
    assertEquals(List.of("t1", "t0"), rest.entries().stream().map(r -> r.entry().target()).toList());
    assertNull(rest.next());
    assertEquals(List.of("t2", "t0"), await(controlPlane.auditPage(new AuditQuery(a.tenantId(), null, "alice", null,
        null, null, 10, false))).entries().stream().map(r -> r.entry().target()).toList());
    assertTrue(await(controlPlane.auditPage(new AuditQuery(a.tenantId(), null, null, Instant.now().plusSeconds(60),
        null, null, 10, false))).entries().isEmpty());
    assertEquals(5, await(controlPlane.auditPage(new AuditQuery(a.tenantId(), null, null, null,
        Instant.now().plusSeconds(60), null, 10, false))).entries().size());
  }

  @Test
  void ping_succeeds_on_an_open_store() throws Exception {
    await(controlPlane.ping());
  }
}
