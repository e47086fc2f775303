package dev.engram.cloud.mcp;

import dev.engram.cloud.auth.Principal;
import dev.engram.cloud.engine.EngineClient;
import dev.engram.cloud.engine.EngineMessages.Caps;
import dev.engram.cloud.engine.EngineMessages.EngineCommand;
import dev.engram.cloud.engine.EngineReplies.EngineReply;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * One MCP request's view of the caller: its principal (the only source of the tenant), its plan caps, and the
 * usage it produced, which the transport hands to metering once the response is sent.
 */
public final class ToolCall {

  private final Principal principal;
  private final Caps caps;
  private final EngineClient engines;
  private final String requestId;
  private int created;
  private int searches;
  private final List<String> audited = new ArrayList<>();

  public ToolCall(Principal principal, Caps caps, EngineClient engines, String requestId) {
    this.principal = principal;
    this.caps = caps;
    this.engines = engines;
    this.requestId = requestId;
  }

  /** The HTTP request's id, which every error answer carries. */
  public String requestId() {
    return requestId;
  }

  public Principal principal() {
    return principal;
  }

  Caps caps() {
    return caps;
  }

  /** Runs a command on the caller's own tenant engine. */
  <R extends EngineReply> Future<R> engine(EngineCommand<R> command) {
    return engines.call(principal, command);
  }

  /** Runs a command and answers its reply as the API's JSON. */
  Future<JsonObject> json(EngineCommand<?> command) {
    return engines.call(principal, command).map(EngineReply::toJson);
  }

  void countCreated(int n) {
    created += n;
  }

  void countSearch() {
    searches++;
  }

  public int created() {
    return created;
  }

  public int searches() {
    return searches;
  }

  void audit(String action) {
    audited.add(action);
  }

  /** The audit actions of the tools that succeeded in this request ({@code memory_export}, ...). */
  public List<String> audited() {
    return List.copyOf(audited);
  }
}
