package dev.engram.cloud.sdk;

import dev.engram.cloud.sdk.EngramSdkWire.Flavour;
import dev.engram.cloud.sdk.EngramSdkWire.SdkError;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Engram's TypeScript and Python SDKs, unchanged, against this server: each flavour of {@link EngramSdkWire} sends
 * exactly what its SDK sends, with the tenant slug that sign-up returned, and reads the answers as the SDK does.
 */
class EngramSdkWireTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits());
  static Api api;

  @BeforeAll
  static void given_the_server() {
    api = server.api();
  }

  /** A new tenant and its SDK client, configured as a user would: base URL, the sign-up key and tenant slug. */
  private static EngramSdkWire client(Flavour flavour) {
    JsonObject signup = api.post("/v1/signup", null, new JsonObject().put("email", "sdk-" + System.nanoTime()
        + "@example.com").put("password", "correct horse battery").put("tenant_name", "SDK user")).json();
    String slug = signup.getString("tenant_slug");
    assertNotNull(slug, signup.encode());
    return new EngramSdkWire(api, flavour, signup.getString("api_key"), slug);
  }

  @ParameterizedTest
  @EnumSource(Flavour.class)
  void the_core_calls_work_unchanged(Flavour flavour) {
    EngramSdkWire sdk = client(flavour);
    JsonObject dark = sdk.create("User prefers dark mode in every editor", List.of("prefs"));
    long darkId = dark.getLong("id");
    assertEquals(List.of("prefs"), dark.getJsonArray("tags").getList());
    long deployId = sdk.create("Deploys go out on Tuesdays after the standup", null).getLong("id");
    long lunchId = sdk.create("Team lunch is on Fridays", null).getLong("id");

    assertEquals("User prefers dark mode in every editor", sdk.get(darkId).getString("content"));
    JsonObject updated = sdk.update(darkId, "User prefers dark mode in every editor and terminal", 0.9);
    assertEquals(2, updated.getInteger("version"));
    assertEquals(0.9, updated.getDouble("importance"));

    JsonObject all = sdk.list(50, 0);
    assertEquals(List.of(lunchId, deployId, darkId), ids(all.getJsonArray("memories")));
    assertEquals(List.of(deployId, darkId), ids(sdk.list(50, 1).getJsonArray("memories")));
    // Engram's own memory_list arguments (its server's schema) beyond what the SDK method sends
    JsonObject byImportance = sdk.ok("memory_list", new JsonObject().put("limit", 2).put("offset", 0)
        .put("sort_by", "importance").put("sort_order", "desc"));
    assertEquals(darkId, ids(byImportance.getJsonArray("memories")).get(0));

    JsonObject found = sdk.search("dark mode");
    assertEquals(darkId, found.getJsonArray("results").getJsonObject(0).getJsonObject("memory").getLong("id"));
    assertEquals(3L, sdk.stats().getLong("total_memories"));

    assertEquals("related_to", sdk.link(darkId, deployId).getString("edge_type"));
    JsonArray related = sdk.related(darkId).getJsonArray("related");
    assertEquals(deployId, related.getJsonObject(0).getLong("to_id"));

    JsonObject daily = sdk.createDaily("Today: pairing on the importer");
    assertEquals("daily", daily.getString("tier"));
    assertNotNull(daily.getString("expires_at"));

    assertEquals(deployId, sdk.delete(deployId).getLong("deleted"));
    // a tool failure is a result with isError (text: the problem's detail), which the SDKs hand back like any other
    JsonObject gone = sdk.call("memory_get", new JsonObject().put("id", deployId));
    assertTrue(gone.getBoolean("isError"));
    assertEquals("not_found", gone.getJsonObject("structuredContent").getString("code"));
    assertTrue(gone.getJsonArray("content").getJsonObject(0).getString("text").contains(String.valueOf(deployId)));
  }

  @ParameterizedTest
  @EnumSource(Flavour.class)
  void context_blocks_and_token_estimates_work_unchanged(Flavour flavour) {
    EngramSdkWire sdk = client(flavour);
    long deploy = sdk.create("Deploys go out on Tuesdays after the standup", null).getLong("id");
    sdk.create("The cafeteria serves soup on Mondays", null);

    JsonObject block = sdk.blockCreate("persona", "assistant", "You are terse and precise.");
    assertEquals(1, block.getInteger("version"));
    JsonObject edited = sdk.blockEdit("persona", "assistant", "You are terse, precise and kind.", "tone");
    assertEquals(2, edited.getInteger("version"));
    assertEquals("You are terse, precise and kind.", sdk.blockGet("persona", "assistant").getString("content"));
    assertEquals(1, sdk.blockList().getInteger("count"));

    JsonObject context = sdk.buildContext("deploys");
    String prompt = context.getString("prompt");
    assertTrue(prompt.startsWith("You are terse, precise and kind."), prompt);
    assertTrue(prompt.contains("Deploys go out on Tuesdays"), prompt);
    assertEquals(deploy, context.getJsonArray("memories").getJsonObject(0).getLong("id"));
    assertTrue(context.getInteger("token_estimate") <= 4096);

    JsonObject compressed = sdk.compressForContext(List.of(deploy), 5);
    JsonObject only = compressed.getJsonArray("memories").getJsonObject(0);
    assertTrue(only.getBoolean("truncated"));
    assertEquals(5, only.getInteger("tokens"));

    assertEquals(11, sdk.tokenEstimate("The quick brown fox jumps over the lazy dog.").getInteger("tokens"));
  }

  @ParameterizedTest
  @EnumSource(Flavour.class)
  void identities_and_feedback_work_unchanged(Flavour flavour) {
    EngramSdkWire sdk = client(flavour);
    long budget = sdk.create("Ronaldo Lima approved the Q3 budget for the data team", null).getLong("id");
    sdk.create("The Q3 offsite is in Lisbon", null);

    JsonObject identity = sdk.createIdentity("user:ronaldo", "Ronaldo Lima", List.of("Ron", "@rlima"));
    assertEquals(List.of("rlima", "ron"), identity.getJsonArray("aliases").getList());
    JsonObject resolved = sdk.resolveIdentity("RON");
    assertEquals("user:ronaldo", resolved.getJsonObject("identity").getString("canonical_id"));
    assertEquals(false, sdk.resolveIdentity("nobody").getBoolean("found"));
    // the alias finds the memory that names the canonical name
    JsonObject found = sdk.search("what did ron approve");
    assertEquals(budget, found.getJsonArray("results").getJsonObject(0).getJsonObject("memory").getLong("id"));

    JsonObject mark = sdk.feedback("what did ron approve", budget, "helpful");
    assertEquals("useful", mark.getString("signal"));
    sdk.feedback("q3 plans", budget, "irrelevant");
    JsonObject stats = sdk.feedbackStats();
    assertEquals(2L, stats.getLong("total"));
    assertEquals(1L, stats.getLong("useful"));
    assertEquals(budget, stats.getJsonArray("memories").getJsonObject(0).getLong("memory_id"));
  }

  @ParameterizedTest
  @EnumSource(Flavour.class)
  void a_read_by_id_counts_as_an_access_and_lists_sort_by_it(Flavour flavour) {
    EngramSdkWire sdk = client(flavour);
    long read = sdk.create("read often", null).getLong("id");
    long unread = sdk.create("never read", null).getLong("id");
    sdk.get(read);
    sdk.get(read);
    sdk.search("read");
    // counted in memory and written in a batch: visible within about a second, never lost to a list or search
    Eventually.until(Duration.ofSeconds(10), "two reads counted", () -> accessCount(sdk, read) == 2);
    JsonObject byAccess = sdk.ok("memory_list", new JsonObject().put("limit", 50).put("offset", 0)
        .put("sort_by", "access_count").put("sort_order", "asc"));
    assertEquals(List.of(unread, read), ids(byAccess.getJsonArray("memories")));
    JsonObject never = byAccess.getJsonArray("memories").getJsonObject(0);
    assertEquals(0L, never.getLong("access_count"), "a list or a search is not a read by id");
    assertEquals(null, never.getString("last_accessed_at"));
    assertNotNull(byAccess.getJsonArray("memories").getJsonObject(1).getString("last_accessed_at"));
    JsonObject lastRead = sdk.ok("memory_list", new JsonObject().put("limit", 1).put("offset", 0)
        .put("sort_by", "last_accessed_at"));
    assertEquals(read, ids(lastRead.getJsonArray("memories")).get(0));
  }

  @ParameterizedTest
  @EnumSource(Flavour.class)
  void an_engram_tool_not_offered_here_is_an_error_that_says_so(Flavour flavour) {
    EngramSdkWire sdk = client(flavour);
    SdkError e = assertThrows(SdkError.class, () -> sdk.call("memory_garden", new JsonObject().put("dry_run", false)));
    assertTrue(e.getMessage().contains("memory_garden") && e.getMessage().contains("does not offer"), e.getMessage());
    SdkError unknown = assertThrows(SdkError.class, () -> sdk.call("no_such_tool", new JsonObject()));
    assertFalse(unknown.getMessage().contains("does not offer"), unknown.getMessage());
  }

  @ParameterizedTest
  @EnumSource(Flavour.class)
  void another_tenants_slug_is_refused(Flavour flavour) {
    EngramSdkWire mine = client(flavour);
    mine.create("mine", null);
    JsonObject other = api.post("/v1/signup", null, new JsonObject().put("email", "other-" + System.nanoTime()
        + "@example.com").put("password", "correct horse battery").put("tenant_name", "Other")).json();
    // the other tenant's key, configured with this tenant's slug
    EngramSdkWire wrong = new EngramSdkWire(api, flavour, other.getString("api_key"), mine.tenant());
    SdkError e = assertThrows(SdkError.class, wrong::stats);
    assertEquals(403, e.httpStatus);
  }

  private static long accessCount(EngramSdkWire sdk, long id) {
    return sdk.list(50, 0).getJsonArray("memories").stream().map(JsonObject.class::cast)
        .filter(m -> m.getLong("id") == id).findFirst().orElseThrow().getLong("access_count");
  }

  private static List<Long> ids(JsonArray memories) {
    return memories.stream().map(m -> ((JsonObject) m).getLong("id")).toList();
  }
}
