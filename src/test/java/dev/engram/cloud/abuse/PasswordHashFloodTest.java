package dev.engram.cloud.abuse;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.Liveness;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many sign-ins and sign-ups at once, each a deliberately slow password hash (real iteration count): the node hashes
 * a few at a time on a pool of its own and refuses the rest at once with 503 and {@code Retry-After}, instead of
 * queueing CPU work without bound; {@code /health/live} keeps answering within a second, and a refused sign-up
 * creates nothing. The per-address and per-account limits are lifted here, so only the hash cap stands.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PasswordHashFloodTest {

  private static final int PARALLEL = 24;

  @Test
  void parallel_sign_ins_and_sign_ups_beyond_the_hash_cap_get_503_and_the_server_stays_live() throws Exception {
    JsonObject config = new JsonObject().put("auth", new JsonObject().put("password_iterations", 210_000)
        .put("password_hashing", new JsonObject().put("threads", 1).put("queue", 2)));
    try (TestServer server = TestServer.start(config)) {
      Api api = server.api();
      Account account = api.signup();
      List<Api.Response> signIns;
      List<Api.Response> signUps;
      try (Liveness live = Liveness.watch(server.config().port(), Duration.ofSeconds(1))) {
        signIns = parallel(i -> api.post("/v1/auth/token", null,
            new JsonObject().put("email", account.email()).put("password", "wrong guess " + i)));
        signUps = parallel(i -> api.post("/v1/signup", null, new JsonObject().put("email", "flood-" + i + "@example.com")
            .put("password", "password " + i).put("tenant_name", "Flood " + i)));
        live.assertAnswered();
      }

      assertSomeBusy(signIns, 401);
      assertSomeBusy(signUps, 201);
      // One of each (a sign-in is a hash too): an admitted sign-up made its account, a refused one made nothing.
      for (int served : new int[] {201, 503}) {
        int i = indexOf(signUps, served);
        assertEquals(served == 201 ? 200 : 401, api.post("/v1/auth/token", null, new JsonObject()
            .put("email", "flood-" + i + "@example.com").put("password", "password " + i)).status(),
            "sign-in after a sign-up answered " + served);
      }
      assertEquals(200, api.post("/v1/auth/token", null, new JsonObject().put("email", account.email())
          .put("password", account.password())).status(), "the account itself is untouched");
    }
  }

  /** Some answered {@code served} (hashed), the others 503 {@code auth_busy} with Retry-After, nothing else. */
  private static void assertSomeBusy(List<Api.Response> responses, int served) {
    int busy = 0;
    int hashed = 0;
    for (Api.Response r : responses) {
      if (r.status() == served) {
        hashed++;
        continue;
      }
      assertEquals(503, r.status(), r.body());
      assertTrue(r.header("Content-Type").startsWith("application/problem+json"));
      assertEquals("auth_busy", r.json().getString("code"));
      assertTrue(Long.parseLong(r.header("Retry-After")) >= 1);
      busy++;
    }
    assertTrue(hashed >= 1, "some were hashed");
    assertTrue(busy >= 1, "some were refused rather than queued: " + hashed + " hashed of " + responses.size());
  }

  private static int indexOf(List<Api.Response> responses, int status) {
    for (int i = 0; i < responses.size(); i++) {
      if (responses.get(i).status() == status) return i;
    }
    throw new AssertionError("no response " + status);
  }

  private static List<Api.Response> parallel(Function<Integer, Api.Response> request) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
    try {
      List<Future<Api.Response>> futures = new ArrayList<>();
      for (int i = 0; i < PARALLEL; i++) {
        int n = i;
        futures.add(pool.submit(() -> request.apply(n)));
      }
      List<Api.Response> responses = new ArrayList<>();
      for (Future<Api.Response> f : futures) responses.add(f.get(60, TimeUnit.SECONDS));
      return responses;
    } finally {
      pool.shutdownNow();
    }
  }
}
