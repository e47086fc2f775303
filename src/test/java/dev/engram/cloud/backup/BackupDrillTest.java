package dev.engram.cloud.backup;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Backups as an operator meets them, on the local target: a whole node restored after its disk is lost, a tenant
 * restored to instants between its writes (to the second), nothing readable in the backups, and a wrong master key
 * refused by name.
 */
@Timeout(180)
class BackupDrillTest {

  private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]).replace('A', 'B');
  private final List<Path> dirs = new ArrayList<>();
  private final List<TestServer> servers = new ArrayList<>();

  @AfterEach
  void cleanUp() {
    servers.forEach(TestServer::stop);
    dirs.forEach(TestServer::deleteRecursively);
  }

  private Path tempDir(String name) throws IOException {
    Path dir = Files.createTempDirectory("engram-" + name + "-");
    dirs.add(dir);
    return dir;
  }

  private TestServer start(Path dataDir, Path backups, Map<String, String> env) {
    TestServer server = TestServer.start(TestServer.withoutRateLimits()
        .put("data_dir", dataDir.toString())
        .put("backup", new JsonObject().put("local_dir", backups.toString()).put("ship_seconds", 1)), env);
    servers.add(server);
    return server;
  }

  private static Map<String, String> env(String key) {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put(MasterKey.ENV, key);
    return env;
  }

  private record Result(int code, String out, String err) {}

  private static Result restore(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = BackupCommand.restore(List.of(args), env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static Set<String> contents(Api api, String key) {
    Set<String> out = new HashSet<>();
    String cursor = null;
    do {
      Api.Response page = api.get("/v1/memories?limit=100" + (cursor == null ? "" : "&cursor=" + cursor), key);
      assertEquals(200, page.status(), page.body());
      JsonObject json = page.json();
      for (Object o : json.getJsonArray("data")) out.add(((JsonObject) o).getString("content"));
      cursor = json.getString("next_cursor");
    } while (cursor != null);
    return out;
  }

  private static boolean hasSnapshot(Path backups, String tenantId) {
    Path dir = backups.resolve("tenants").resolve(tenantId).resolve("snapshots");
    if (!Files.isDirectory(dir)) return false;
    try (Stream<Path> files = Files.walk(dir)) {
      return files.anyMatch(p -> p.getFileName().toString().equals(Snapshots.MANIFEST));
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void aNodeWhoseDiskIsLostComesBackWithEveryTenantsDataFromItsBackups() throws Exception {
    Path data = tempDir("data");
    Path backups = tempDir("backups");
    Map<String, String> env = env(KEY);
    TestServer server = start(data, backups, env);
    Api api = server.api();
    List<Account> accounts = new ArrayList<>();
    Map<String, Set<String>> expected = new HashMap<>();
    for (int t = 0; t < 50; t++) {
      Account account = api.signup();
      accounts.add(account);
      Set<String> kept = new HashSet<>();
      List<Long> ids = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        String content = "tenant " + t + " secret note " + i + " about the zebra protocol";
        ids.add(api.createMemory(account.apiKey(), new JsonObject().put("content", content)).getLong("id"));
        kept.add(content);
      }
      expected.put(account.tenantId(), kept);
    }
    Eventually.until(Duration.ofSeconds(60), "every tenant has a snapshot",
        () -> accounts.stream().allMatch(a -> hasSnapshot(backups, a.tenantId())));
    // After the snapshots: updates, deletes and creates that only the change log holds.
    for (int t = 0; t < accounts.size(); t++) {
      Account account = accounts.get(t);
      Set<String> kept = expected.get(account.tenantId());
      JsonArray page = api.get("/v1/memories?limit=10", account.apiKey()).json().getJsonArray("data");
      long first = page.getJsonObject(0).getLong("id");
      long last = page.getJsonObject(page.size() - 1).getLong("id");
      String updated = "tenant " + t + " updated after the snapshot";
      assertEquals(200, api.patch("/v1/memories/" + first, account.apiKey(), new JsonObject().put("content", updated))
          .status());
      kept.remove(page.getJsonObject(0).getString("content"));
      kept.add(updated);
      assertEquals(204, api.delete("/v1/memories/" + last, account.apiKey()).status());
      kept.remove(page.getJsonObject(page.size() - 1).getString("content"));
      String late = "tenant " + t + " written last";
      api.createMemory(account.apiKey(), new JsonObject().put("content", late));
      kept.add(late);
    }
    // The SDK's writes after the snapshot, on one tenant: reads counted by id, a block edited, an identity, a mark.
    String sdkKey = accounts.get(0).apiKey();
    long read = api.get("/v1/memories?limit=1", sdkKey).json().getJsonArray("data").getJsonObject(0).getLong("id");
    for (int i = 0; i < 2; i++) assertEquals(200, api.get("/v1/memories/" + read, sdkKey).status());
    assertEquals(201, api.post("/v1/blocks", sdkKey, new JsonObject().put("block_type", "persona")
        .put("label", "assistant").put("content", "Terse.")).status());
    assertEquals(200, api.patch("/v1/blocks/persona/assistant", sdkKey, new JsonObject().put("content", "Terser."))
        .status());
    assertEquals(200, api.post("/v1/identities", sdkKey, new JsonObject().put("canonical_id", "zebra-protocol")
        .put("display_name", "Zebra protocol").put("aliases", new JsonArray().add("zp"))).status());
    assertEquals(201, api.post("/v1/feedback", sdkKey, new JsonObject().put("query", "zebra").put("memory_id", read)
        .put("signal", "useful")).status());
    server.stop();
    servers.remove(server);
    TestServer.deleteRecursively(data); // the disk is lost

    Path restored = tempDir("restored");
    Result result = restore(env, "--from", backups.toString(), "--at", "latest", "--data-dir", restored.toString());
    assertEquals(0, result.code(), result.out() + result.err());
    assertTrue(result.out().contains("restored control plane"), result.out());

    TestServer again = start(restored, backups, env);
    for (Account account : accounts) {
      assertEquals(expected.get(account.tenantId()), contents(again.api(), account.apiKey()),
          "tenant " + account.tenantId());
    }
    // The restored tenants answer keyword search (their index is rebuilt from the database, which had none beside it).
    for (Account account : accounts) {
      Set<String> zebra = new HashSet<>(expected.get(account.tenantId()));
      zebra.removeIf(content -> !content.contains("zebra"));
      Eventually.until(Duration.ofSeconds(30), "tenant " + account.tenantId() + " found by keyword",
          () -> zebra.equals(keywordSearch(again.api(), account.apiKey(), "zebra")));
    }
    Api restoredApi = again.api();
    JsonObject readMemory = restoredApi.get("/v1/memories?limit=100", sdkKey).json().getJsonArray("data").stream()
        .map(JsonObject.class::cast).filter(m -> m.getLong("id") == read).findFirst().orElseThrow();
    assertEquals(2L, readMemory.getLong("access_count"), "the reads by id counted before the disk was lost");
    JsonObject block = restoredApi.get("/v1/blocks/persona/assistant", sdkKey).json();
    assertEquals("Terser.", block.getString("content"));
    assertEquals(2, block.getInteger("version"));
    assertEquals("zebra-protocol", restoredApi.get("/v1/identities/resolve?alias=zp", sdkKey).json()
        .getJsonObject("identity").getString("canonical_id"));
    assertEquals(1L, restoredApi.get("/v1/feedback/stats", sdkKey).json().getLong("total"));
  }

  private static Set<String> keywordSearch(Api api, String key, String query) {
    Api.Response r = api.post("/v1/search", key, new JsonObject().put("query", query).put("strategy", "keyword")
        .put("limit", 10));
    assertEquals(200, r.status(), r.body());
    Set<String> out = new HashSet<>();
    for (Object o : r.json().getJsonArray("results")) {
      out.add(((JsonObject) o).getJsonObject("memory").getString("content"));
    }
    return out;
  }

  @Test
  void aTenantRestoresToAnySecondBetweenItsWritesAndDeletedMemoriesComeBack() throws Exception {
    Path data = tempDir("data");
    Path backups = tempDir("backups");
    Map<String, String> env = env(KEY);
    TestServer server = start(data, backups, env);
    Api api = server.api();
    Account account = api.signup();
    JsonObject a = api.createMemory(account.apiKey(), new JsonObject().put("content", "alpha: the first fact"));
    Instant afterA = nextSecondOf(Instant.now());
    Eventually.until(Duration.ofSeconds(30), "a snapshot", () -> hasSnapshot(backups, account.tenantId()));
    waitPast(afterA);
    api.createMemory(account.apiKey(), new JsonObject().put("content", "bravo: the second fact"));
    Instant afterB = nextSecondOf(Instant.now());
    waitPast(afterB);
    assertEquals(204, api.delete("/v1/memories/" + a.getLong("id"), account.apiKey()).status());
    Instant afterDelete = nextSecondOf(Instant.now());
    waitPast(afterDelete);
    // The tenant's admin sees its snapshot; another tenant sees none of it; a restricted key sees nothing.
    Api.Response listed = api.get("/v1/backups", account.apiKey());
    assertEquals(200, listed.status(), listed.body());
    JsonObject snapshot = listed.json().getJsonArray("data").getJsonObject(0);
    assertEquals(1, snapshot.getLong("memory_count"));
    assertTrue(snapshot.getBoolean("verified"));
    assertTrue(Instant.parse(snapshot.getString("covers_until")).isBefore(afterA));
    assertEquals(0, api.get("/v1/backups", api.signup().apiKey()).json().getJsonArray("data").size());
    String restricted = api.post("/v1/api-keys", account.apiKey(), new JsonObject().put("scopes",
        new JsonArray().add("admin")).put("workspaces", new JsonArray().add("backend"))).json().getString("key");
    assertEquals(403, api.get("/v1/backups", restricted).status());
    server.stop();
    servers.remove(server);

    assertEquals(Set.of("alpha: the first fact"), restoredAt(backups, env, account, afterA));
    assertEquals(Set.of("alpha: the first fact", "bravo: the second fact"), restoredAt(backups, env, account, afterB));
    assertEquals(Set.of("bravo: the second fact"), restoredAt(backups, env, account, afterDelete));

    // Nothing in the backups is readable, and a wrong master key is refused by name.
    try (Stream<Path> files = Files.walk(backups)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        String bytes = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        assertFalse(bytes.contains("first fact") || bytes.contains("bravo"), file + " holds plaintext");
      }
    }
    String wrongKey = Base64.getEncoder().encodeToString(new byte[32]);
    Result wrong = restore(env(wrongKey), "--from", backups.toString(), "--at", "latest", "--tenant",
        account.tenantId(), "--data-dir", tempDir("wrong").resolve("d").toString());
    assertEquals(1, wrong.code(), wrong.out());
    assertTrue(wrong.err().contains("wrong backup master key"), wrong.err());
  }

  private Set<String> restoredAt(Path backups, Map<String, String> env, Account account, Instant at) throws IOException {
    Path dir = tempDir("pit");
    Result result = restore(env, "--from", backups.toString(), "--at", at.toString(), "--data-dir", dir.toString());
    assertEquals(0, result.code(), result.out() + result.err());
    TestServer server = start(dir, tempDir("unused-backups"), env);
    try {
      return contents(server.api(), account.apiKey());
    } finally {
      server.stop();
      servers.remove(server);
    }
  }

  /** The first whole second after {@code t}: an RFC 3339 instant, to the second, that {@code t} is before. */
  private static Instant nextSecondOf(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
  }

  /** Lets the clock pass {@code t}, so that the next write is committed after it (waiting on time itself). */
  private static void waitPast(Instant t) {
    Eventually.until(Duration.ofSeconds(5), "the clock passes " + t, () -> Instant.now().isAfter(t.plusMillis(20)));
  }
}
