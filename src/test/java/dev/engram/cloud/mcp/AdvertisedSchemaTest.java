package dev.engram.cloud.mcp;

import dev.engram.cloud.api.Contract;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tools/list} advertises exactly the schemas the tools were written with: the validator that enforces them
 * works on its own copy, so its bookkeeping ({@code __absolute_uri__} and the like) never leaks to clients, even
 * after every tool has validated arguments.
 */
class AdvertisedSchemaTest {

  @Test
  void every_advertised_schema_holds_only_keys_the_source_wrote() {
    try (TestServer server = TestServer.start(TestServer.withoutRateLimits())) {
      McpHttp mcp = new McpHttp(server.api());
      Account a = server.api().signup();
      Map<String, JsonObject> before = advertised(mcp, a.apiKey());
      for (String tool : before.keySet()) {
        mcp.call(a.apiKey(), tool, new JsonObject().put("no_such_argument", 1)); // validated (and refused)
      }
      Map<String, JsonObject> after = advertised(mcp, a.apiKey());
      assertEquals(before, after, "validating arguments changes nothing that is advertised");

      Map<String, Tool> written = new LinkedHashMap<>();
      // the definitions only: no tool runs, so no scan parser is needed
      Vertx vertx = Vertx.vertx();
      try {
        Contract contract = Contract.load(vertx, server.config(), "http://localhost").await();
        new MemoryTools(contract, server.config().memories(), null).all().forEach(t -> written.put(t.name(), t));
      } finally {
        vertx.close();
      }
      assertEquals(written.keySet(), after.keySet());
      List<String> strays = new ArrayList<>();
      after.forEach((name, tool) -> {
        walk(name + ".inputSchema", tool.getJsonObject("inputSchema"), strays);
        walk(name + ".outputSchema", tool.getJsonObject("outputSchema"), strays);
        assertEquals(written.get(name).inputSchema(), tool.getJsonObject("inputSchema"), name);
        assertEquals(written.get(name).outputSchema(), tool.getJsonObject("outputSchema"), name);
      });
      assertTrue(strays.isEmpty(), "keys no schema was written with: " + strays);
    }
  }

  /** Every tool of every tools/list page, by name, on a revision that advertises output schemas. */
  private static Map<String, JsonObject> advertised(McpHttp mcp, String key) {
    Map<String, JsonObject> tools = new LinkedHashMap<>();
    String cursor = null;
    do {
      JsonObject params = cursor == null ? new JsonObject() : new JsonObject().put("cursor", cursor);
      JsonObject result = mcp.post(key, mcp.request("tools/list", params), Map.of("MCP-Protocol-Version", "2025-11-25"))
          .json().getJsonObject("result");
      for (Object t : result.getJsonArray("tools")) tools.put(((JsonObject) t).getString("name"), (JsonObject) t);
      cursor = result.getString("nextCursor");
    } while (cursor != null);
    return tools;
  }

  /** Collects keys that only a schema library's bookkeeping would add (our schemas use no '__' or '$id' keys). */
  private static void walk(String path, Object node, List<String> strays) {
    if (node instanceof JsonObject o) {
      for (String k : o.fieldNames()) {
        if (k.startsWith("__") || k.equals("$id")) strays.add(path + "." + k);
        walk(path + "." + k, o.getValue(k), strays);
      }
    } else if (node instanceof JsonArray a) {
      for (int i = 0; i < a.size(); i++) walk(path + "[" + i + "]", a.getValue(i), strays);
    }
  }
}
