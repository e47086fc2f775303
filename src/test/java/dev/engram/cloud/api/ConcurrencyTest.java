package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Parallel writes all land exactly once, and tenants written in parallel stay apart. */
class ConcurrencyTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits());
  static Api api;

  @BeforeAll
  static void start() {
    api = server.api();
  }

  private static <T> List<T> runAll(int threads, List<Callable<T>> tasks) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<T> results = new ArrayList<>();
      for (Future<T> f : pool.invokeAll(tasks)) results.add(f.get());
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  private static Set<String> allContents(String key) {
    Set<String> contents = new HashSet<>();
    String cursor = null;
    do {
      JsonObject page = api.get("/v1/memories?limit=100" + (cursor == null ? "" : "&cursor=" + cursor), key).json();
      page.getJsonArray("data").forEach(m -> contents.add(((JsonObject) m).getString("content")));
      cursor = page.getString("next_cursor");
    } while (cursor != null);
    return contents;
  }

  @Test
  void many_parallel_writes_to_one_tenant_all_land_once() throws Exception {
    Account account = api.signup();
    int n = 300;
    List<Callable<Long>> tasks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String content = "parallel write " + i;
      tasks.add(() -> api.createMemory(account.apiKey(), new JsonObject().put("content", content)).getLong("id"));
    }
    List<Long> ids = runAll(32, tasks);

    assertEquals(n, new HashSet<>(ids).size(), "every write got its own id");
    assertEquals(n, api.get("/v1/stats", account.apiKey()).json().getLong("total_memories"));
    Set<String> expected = new HashSet<>();
    for (int i = 0; i < n; i++) expected.add("parallel write " + i);
    assertEquals(expected, allContents(account.apiKey()));
  }

  @Test
  void many_tenants_written_in_parallel_stay_separate() throws Exception {
    int tenants = 8;
    int perTenant = 40;
    List<Account> accounts = new ArrayList<>();
    for (int t = 0; t < tenants; t++) accounts.add(api.signup());
    List<Callable<Integer>> tasks = new ArrayList<>();
    for (int t = 0; t < tenants; t++) {
      for (int i = 0; i < perTenant; i++) {
        Account a = accounts.get(t);
        String content = "tenant " + t + " item " + i;
        tasks.add(() -> {
          api.createMemory(a.apiKey(), new JsonObject().put("content", content));
          return 1;
        });
      }
    }
    java.util.Collections.shuffle(tasks, new java.util.Random(7));
    runAll(32, tasks);

    for (int t = 0; t < tenants; t++) {
      Set<String> expected = new HashSet<>();
      for (int i = 0; i < perTenant; i++) expected.add("tenant " + t + " item " + i);
      assertEquals(expected, allContents(accounts.get(t).apiKey()), "tenant " + t + " holds exactly its own");
    }
  }

  @Test
  void parallel_updates_to_one_memory_each_get_a_version() throws Exception {
    Account account = api.signup();
    long id = api.createMemory(account.apiKey(), new JsonObject().put("content", "v1")).getLong("id");
    int n = 50;
    List<Callable<Integer>> tasks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      double importance = i / 100.0;
      tasks.add(() -> api.patch("/v1/memories/" + id, account.apiKey(), new JsonObject().put("importance", importance))
          .json().getInteger("version"));
    }
    Set<Integer> versions = new HashSet<>(runAll(16, tasks));
    assertEquals(n, versions.size(), "no two updates saw the same version");
    assertEquals(n + 1, api.get("/v1/memories/" + id, account.apiKey()).json().getInteger("version"));
  }
}
