package dev.engram.cloud.auth;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.TestIssuer;
import dev.engram.cloud.testing.TestIssuer.Alg;
import dev.engram.cloud.testing.TestIssuer.SigningKey;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tokens of an external issuer (JWKS_URL) end to end over HTTP: the three accepted algorithms sign up and use the
 * API; every forged, stale, misdirected or malformed token is a 401 problem+json that changes nothing.
 */
@Timeout(60)
class ExternalJwtAttackTest {

  static TestIssuer issuer;
  static TestServer server;
  static Api api;
  static SigningKey rsa;
  static SigningKey ec;
  static SigningKey ed;

  @BeforeAll
  static void start() {
    issuer = TestIssuer.start();
    rsa = issuer.publish(TestIssuer.newKey(Alg.RS256, "rsa-1"));
    ec = issuer.publish(TestIssuer.newKey(Alg.ES256, "ec-1"));
    ed = issuer.publish(TestIssuer.newKey(Alg.EdDSA, "ed-1"));
    server = TestServer.start(issuer.serverConfig().mergeIn(TestServer.withoutRateLimits()));
    api = server.api();
  }

  @AfterAll
  static void stop() {
    server.close();
    issuer.close();
  }

  private static String subject() {
    return "user-" + UUID.randomUUID();
  }

  private static Api.Response signup(String token, String tenantName) {
    return api.post("/v1/signup", token, new JsonObject().put("tenant_name", tenantName));
  }

  /** Signs {@code subject} up with a token of {@code key} and returns the new tenant id. */
  private static String signedUp(SigningKey key, String subject) {
    Api.Response r = signup(TestIssuer.sign(key, issuer.claims(subject)), "Tenant of " + subject);
    assertEquals(201, r.status(), r.body());
    return r.json().getString("tenant_id");
  }

  private static void assertProblem(Api.Response r, int status, String code) {
    assertEquals(status, r.status(), r.body());
    assertTrue(r.header("Content-Type").startsWith("application/problem+json"), r.header("Content-Type"));
    if (code != null) assertEquals(code, r.json().getString("code"), r.body());
  }

  private static long memoryCount(String token) {
    Api.Response stats = api.get("/v1/stats", token);
    assertEquals(200, stats.status(), stats.body());
    return stats.json().getLong("total_memories");
  }

  @Test
  void rs256_es256_and_eddsa_tokens_sign_up_once_and_then_use_the_api() {
    for (SigningKey key : new SigningKey[] {rsa, ec, ed}) {
      String subject = subject();
      String token = TestIssuer.sign(key, issuer.claims(subject)
          .put("email", subject.toUpperCase() + "@Example.com").put("email_verified", true));

      Api.Response unknown = api.get("/v1/memories", token);
      assertProblem(unknown, 401, "unknown_identity");

      Api.Response created = signup(token, "Tenant " + key.alg());
      assertEquals(201, created.status(), key.alg() + ": " + created.body());
      String tenantId = created.json().getString("tenant_id");
      String apiKey = created.json().getString("api_key");
      assertTrue(apiKey.startsWith("ek_live_"));
      assertProblem(signup(token, "Again"), 409, "identity_taken");

      JsonObject memory = api.createMemory(token, new JsonObject().put("content", "signed with " + key.alg()));
      Api.Response read = api.get("/v1/memories/" + memory.getLong("id"), token);
      assertEquals(200, read.status(), read.body());
      assertEquals("signed with " + key.alg(), read.json().getString("content"));
      assertEquals(1, memoryCount(apiKey), "the sign-up key reaches the same tenant " + tenantId);

      // The verified email became the account's email: a password sign-up with it is refused.
      Api.Response taken = api.post("/v1/signup", null, new JsonObject()
          .put("email", subject + "@example.com").put("password", "correct horse battery").put("tenant_name", "x"));
      assertProblem(taken, 409, "email_taken");
    }
  }

  @Test
  void a_token_signup_takes_only_a_tenant_name_and_an_unverified_email_is_not_used() {
    String subject = subject();
    String token = TestIssuer.sign(ed, issuer.claims(subject).put("email", subject + "@example.com"));
    Api.Response extra = api.post("/v1/signup", token, new JsonObject().put("tenant_name", "T")
        .put("email", "someone@example.com").put("password", "correct horse battery"));
    assertProblem(extra, 400, "unknown_field");
    assertProblem(api.get("/v1/memories", token), 401, "unknown_identity");

    assertEquals(201, signup(token, "T").status());
    Api.Response sameEmail = api.post("/v1/signup", null, new JsonObject()
        .put("email", subject + "@example.com").put("password", "correct horse battery").put("tenant_name", "x"));
    assertEquals(201, sameEmail.status(), "the unverified email was not claimed: " + sameEmail.body());
  }

  @Test
  void a_password_signup_cannot_squat_the_email_of_a_verified_identity() {
    String email = "victim-" + UUID.randomUUID() + "@corp.test";
    JsonObject squat = new JsonObject().put("email", email).put("password", "squatter's password")
        .put("tenant_name", "Squatted");
    Api.Response squatted = api.post("/v1/signup", null, squat);
    assertEquals(201, squatted.status(), squatted.body());
    String squatterKey = squatted.json().getString("api_key");

    String victim = subject();
    String token = TestIssuer.sign(rsa, issuer.claims(victim).put("email", email).put("email_verified", true));
    assertProblem(api.get("/v1/memories", token), 401, "unknown_identity");
    Api.Response created = signup(token, "Victim's own");
    assertEquals(201, created.status(), "the verified identity wins: " + created.body());
    api.createMemory(token, new JsonObject().put("content", "the victim's note"));
    assertEquals(1, memoryCount(token));
    assertEquals(1, memoryCount(created.json().getString("api_key")), "the token acts in the victim's new tenant");

    Api.Response login = api.post("/v1/auth/token", null,
        new JsonObject().put("email", email).put("password", "squatter's password"));
    assertProblem(login, 401, "invalid_login");
    assertEquals(0, memoryCount(squatterKey), "the squatter keeps only its own tenant, which never saw the note");
    assertProblem(api.post("/v1/signup", null, squat.put("tenant_name", "Again")), 409, "email_taken");
  }

  @Test
  void the_servers_own_tokens_keep_working_alongside() {
    Api.Account account = api.signup();
    Api.Response login = api.post("/v1/auth/token", null,
        new JsonObject().put("email", account.email()).put("password", account.password()));
    assertEquals(200, login.status(), login.body());
    String own = login.json().getString("access_token");
    api.createMemory(own, new JsonObject().put("content", "built-in token"));
    assertEquals(1, memoryCount(own));
    assertProblem(api.post("/v1/signup", own, new JsonObject().put("tenant_name", "x")), 401, "invalid_token");
  }

  @Test
  void forged_stale_and_misdirected_tokens_are_401_and_write_nothing() throws Exception {
    String victim = subject();
    signedUp(rsa, victim);
    String attacker = subject();
    signedUp(ed, attacker);
    String victimToken = TestIssuer.sign(rsa, issuer.claims(victim));
    api.createMemory(victimToken, new JsonObject().put("content", "the victim's only memory"));
    long now = System.currentTimeMillis() / 1000;

    Map<String, String> attacks = new LinkedHashMap<>();
    JsonObject claims = issuer.claims(victim);
    attacks.put("alg none", TestIssuer.b64(new JsonObject().put("alg", "none").put("typ", "JWT")) + "."
        + TestIssuer.b64(claims) + ".");
    attacks.put("alg none with a real kid", TestIssuer.b64(new JsonObject().put("alg", "none").put("kid", "rsa-1"))
        + "." + TestIssuer.b64(claims) + ".");
    byte[] publicDer = rsa.pair().getPublic().getEncoded();
    String publicPem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(publicDer)
        + "\n-----END PUBLIC KEY-----\n";
    attacks.put("HS256 keyed with the public key (DER)", hs256("rsa-1", claims, publicDer));
    attacks.put("HS256 keyed with the public key (PEM)", hs256("rsa-1", claims, publicPem.getBytes(StandardCharsets.US_ASCII)));
    attacks.put("HS256 keyed with the JWK modulus", hs256("rsa-1", claims,
        rsa.publicJwk().getString("n").getBytes(StandardCharsets.US_ASCII)));
    attacks.put("expired", TestIssuer.sign(rsa, issuer.claims(victim).put("iat", now - 7200).put("exp", now - 3600)));
    attacks.put("not yet valid", TestIssuer.sign(rsa, issuer.claims(victim).put("nbf", now + 3600)));
    attacks.put("wrong issuer", TestIssuer.sign(rsa, issuer.claims(victim).put("iss", "https://evil.example.com")));
    attacks.put("issuer missing", TestIssuer.sign(rsa, removed(issuer.claims(victim), "iss")));
    attacks.put("wrong audience", TestIssuer.sign(rsa, issuer.claims(victim).put("aud", "another-api")));
    attacks.put("audience list without us", TestIssuer.sign(rsa, issuer.claims(victim)
        .put("aud", new JsonArray().add("another-api").add("third-api"))));
    attacks.put("audience missing", TestIssuer.sign(rsa, removed(issuer.claims(victim), "aud")));
    attacks.put("expiry missing", TestIssuer.sign(rsa, removed(issuer.claims(victim), "exp")));
    attacks.put("unknown kid", TestIssuer.sign(TestIssuer.newKey(Alg.ES256, "rogue-1"), issuer.claims(victim)));
    attacks.put("unpublished key under a published kid", TestIssuer.sign(TestIssuer.newKey(Alg.EdDSA, "ed-1"),
        issuer.claims(victim)));
    attacks.put("RSA signature labelled ES256", TestIssuer.sign(
        new JsonObject().put("alg", "ES256").put("kid", "rsa-1"), issuer.claims(victim), "SHA256withRSA",
        rsa.pair().getPrivate()));
    attacks.put("RS512 is not accepted", TestIssuer.sign(new JsonObject().put("alg", "RS512").put("kid", "rsa-1"),
        issuer.claims(victim), "SHA512withRSA", rsa.pair().getPrivate()));
    String attackerToken = TestIssuer.sign(ed, issuer.claims(attacker));
    String[] parts = attackerToken.split("\\.");
    attacks.put("tampered payload (attacker's signature, victim's subject)",
        parts[0] + "." + TestIssuer.b64(issuer.claims(victim)) + "." + parts[2]);
    attacks.put("tampered payload (expiry pushed out)", parts[0] + "."
        + TestIssuer.b64(issuer.claims(attacker).put("exp", now + 86_400 * 365)) + "." + parts[2]);
    attacks.put("subject missing", TestIssuer.sign(rsa, removed(issuer.claims(victim), "sub")));
    attacks.put("subject blank", TestIssuer.sign(rsa, issuer.claims(victim).put("sub", " ")));
    attacks.put("subject not a string", TestIssuer.sign(rsa, issuer.claims(victim).put("sub", 42)));
    attacks.put("signature stripped", victimToken.substring(0, victimToken.lastIndexOf('.') + 1));
    attacks.put("two segments", victimToken.substring(0, victimToken.lastIndexOf('.')));
    try (TestIssuer other = TestIssuer.start()) {
      // Another issuer's key, even under the same kid as ours, and that issuer's own perfectly valid tokens.
      SigningKey foreign = other.publish(TestIssuer.newKey(Alg.RS256, "rsa-1"));
      attacks.put("another issuer's key claiming our issuer", TestIssuer.sign(foreign, issuer.claims(victim)));
      attacks.put("another issuer's valid token", TestIssuer.sign(foreign, other.claims(victim)));

      for (Map.Entry<String, String> attack : attacks.entrySet()) {
        String token = attack.getValue();
        Api.Response write = api.post("/v1/memories", token, new JsonObject().put("content", "forged: " + attack.getKey()));
        assertProblem(write, 401, null);
        assertNotNull(write.header("WWW-Authenticate"), attack.getKey());
        assertEquals(401, api.get("/v1/memories", token).status(), attack.getKey());
        Api.Response signup = signup(token, "forged");
        assertProblem(signup, 401, null);
      }
    }
    assertEquals(1, memoryCount(victimToken), "nothing was written");
    Api.Response list = api.get("/v1/memories?limit=100", victimToken);
    assertEquals("the victim's only memory", list.json().getJsonArray("data").getJsonObject(0).getString("content"));
    assertEquals(0, memoryCount(attackerToken), "nothing was written for the attacker either");
  }

  @Test
  void correctly_signed_claims_of_the_wrong_type_and_unknown_critical_extensions_are_401_invalid_token() {
    String user = subject();
    signedUp(ec, user);
    Map<String, String> tokens = new LinkedHashMap<>();
    tokens.put("aud a number", TestIssuer.sign(rsa, issuer.claims(user).put("aud", 5)));
    tokens.put("aud a list of numbers", TestIssuer.sign(rsa, issuer.claims(user).put("aud", new JsonArray().add(5))));
    tokens.put("aud an object", TestIssuer.sign(rsa, issuer.claims(user).put("aud", new JsonObject())));
    tokens.put("iat a string", TestIssuer.sign(rsa, issuer.claims(user).put("iat", "a")));
    tokens.put("exp a string", TestIssuer.sign(rsa, issuer.claims(user).put("exp", "tomorrow")));
    tokens.put("nbf a list", TestIssuer.sign(rsa, issuer.claims(user).put("nbf", new JsonArray())));
    tokens.put("iss a number", TestIssuer.sign(rsa, issuer.claims(user).put("iss", 7)));
    tokens.put("exp beyond any date", TestIssuer.sign(rsa, issuer.claims(user).put("exp", 1e300)));
    for (String crit : List.of("[\"urn:example:must-understand\"]", "[\"b64\"]", "[]", "\"exp\"")) {
      JsonObject header = new JsonObject().put("alg", "ES256").put("kid", ec.kid())
          .put("crit", new JsonObject("{\"v\":" + crit + "}").getValue("v")).put("urn:example:must-understand", true);
      tokens.put("crit " + crit, TestIssuer.sign(header, issuer.claims(user), "SHA256withECDSAinP1363Format",
          ec.pair().getPrivate()));
    }
    for (Map.Entry<String, String> t : tokens.entrySet()) {
      Api.Response r = api.get("/v1/stats", t.getValue());
      assertEquals(401, r.status(), t.getKey() + ": " + r.body());
      assertEquals("invalid_token", r.json().getString("code"), t.getKey());
      assertEquals(401, signup(t.getValue(), "x").status(), t.getKey());
    }
    assertEquals(200, api.get("/v1/stats", TestIssuer.sign(ec, issuer.claims(user))).status(),
        "the same user's well-formed token works");
  }

  @Test
  void the_tenant_header_only_picks_among_the_users_own_tenants() {
    String alice = subject();
    String aliceTenant = signedUp(ec, alice);
    String bob = subject();
    String bobTenant = signedUp(ec, bob);
    String bobToken = TestIssuer.sign(ec, issuer.claims(bob));
    api.createMemory(bobToken, new JsonObject().put("content", "bob's"));
    String aliceToken = TestIssuer.sign(ec, issuer.claims(alice));

    Api.Response crossing = api.send("GET", "/v1/memories", Map.of("Authorization", "Bearer " + aliceToken,
        "X-Engram-Tenant", bobTenant), null, null);
    assertProblem(crossing, 403, "tenant_mismatch");
    Api.Response write = api.send("POST", "/v1/memories", Map.of("Authorization", "Bearer " + aliceToken,
        "X-Engram-Tenant", bobTenant), new JsonObject().put("content", "into bob's").encode(), "application/json");
    assertProblem(write, 403, "tenant_mismatch");
    assertEquals(1, memoryCount(bobToken), "bob's tenant is unchanged");

    Api.Response own = api.send("GET", "/v1/stats", Map.of("Authorization", "Bearer " + aliceToken,
        "X-Engram-Tenant", aliceTenant), null, null);
    assertEquals(200, own.status(), own.body());
    assertEquals(0, own.json().getLong("total_memories"));
  }

  private static String hs256(String kid, JsonObject claims, byte[] secret) throws Exception {
    String input = TestIssuer.b64(new JsonObject().put("alg", "HS256").put("typ", "JWT").put("kid", kid)) + "."
        + TestIssuer.b64(claims);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret, "HmacSHA256"));
    return input + "." + TestIssuer.b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
  }

  private static JsonObject removed(JsonObject claims, String name) {
    claims.remove(name);
    return claims;
  }
}
