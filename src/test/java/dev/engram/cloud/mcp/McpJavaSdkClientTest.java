package dev.engram.cloud.mcp;

import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The official MCP Java SDK client against our endpoint, over real HTTP, with an API key. */
@Timeout(60)
class McpJavaSdkClientTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits());
  static Account account;

  @BeforeAll
  static void given_a_tenant() {
    account = server.api().signup();
  }

  private static McpSyncClient client(String key) {
    HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport
        .builder("http://127.0.0.1:" + server.config().port())
        .endpoint("/v1/mcp")
        .httpRequestCustomizer((request, method, uri, body, context) -> request.header("Authorization", "Bearer " + key))
        .build();
    return McpClient.sync(transport).requestTimeout(Duration.ofSeconds(20)).build();
  }

  @Test
  void initialize_list_create_search_get_delete() {
    try (McpSyncClient client = client(account.apiKey())) {
      McpSchema.InitializeResult init = client.initialize();
      assertEquals("engram-cloud", init.serverInfo().name());

      List<String> names = client.listTools().tools().stream().map(McpSchema.Tool::name).toList();
      assertTrue(names.containsAll(List.of("memory_create", "memory_search", "memory_get", "memory_delete")), names.toString());

      McpSchema.CallToolResult created = client.callTool(new McpSchema.CallToolRequest("memory_create",
          Map.of("content", "The deploy pipeline runs on Fridays at 10:00 UTC", "tags", List.of("ops"))));
      assertFalse(created.isError(), created.toString());
      long id = ((Number) ((Map<?, ?>) created.structuredContent()).get("id")).longValue();

      McpSchema.CallToolResult found = client.callTool(new McpSchema.CallToolRequest("memory_search",
          Map.of("query", "deploy pipeline")));
      List<?> results = (List<?>) ((Map<?, ?>) found.structuredContent()).get("results");
      Map<?, ?> top = (Map<?, ?>) ((Map<?, ?>) results.get(0)).get("memory");
      assertEquals(id, ((Number) top.get("id")).longValue());

      McpSchema.CallToolResult got = client.callTool(new McpSchema.CallToolRequest("memory_get", Map.of("id", id)));
      assertEquals("The deploy pipeline runs on Fridays at 10:00 UTC",
          ((Map<?, ?>) got.structuredContent()).get("content"));

      assertFalse(client.callTool(new McpSchema.CallToolRequest("memory_delete", Map.of("id", id))).isError());
      assertTrue(client.callTool(new McpSchema.CallToolRequest("memory_get", Map.of("id", id))).isError());
    }
  }

  @Test
  void a_bad_key_cannot_initialize() {
    try (McpSyncClient client = client("ek_live_not_a_real_key")) {
      assertThrows(RuntimeException.class, client::initialize);
    }
  }
}
