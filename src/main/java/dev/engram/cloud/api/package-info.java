/**
 * The request layer both doors share. A rule lives in one place:
 *
 * <ul>
 *   <li>what a schema can say (types, ranges, enums, required and unknown members) is in
 *       {@code src/main/resources/openapi.yaml}; {@link dev.engram.cloud.api.Contract} loads it with the configured
 *       limits written in, and {@link dev.engram.cloud.api.OperationInput} checks one operation's parameters and body
 *       against it (REST; MCP tools check their arguments against input schemas built from the same document);</li>
 *   <li>what it cannot say (one field needing another, cursors, sizes in bytes, workspace names) is in the
 *       operation's parser, one method per operation: {@link dev.engram.cloud.api.MemoryRequests},
 *       {@link dev.engram.cloud.api.OrganizeRequests}, {@link dev.engram.cloud.api.TransferRequests},
 *       {@link dev.engram.cloud.api.ImportDocument}, {@link dev.engram.cloud.api.ProjectRequests},
 *       {@link dev.engram.cloud.api.TeamRequests} (members, invites, keys' life, the tenant, the audit log, the
 *       operator: REST only). A parser turns the
 *       validated input (one JSON object: parameters and body members, the names MCP tools use) into an engine
 *       command, and is called by the REST route and the MCP tool alike;</li>
 *   <li>every failure is an {@link dev.engram.cloud.bus.ApiException} with a stable code;
 *       {@link dev.engram.cloud.api.Violations} turns a schema's verdict into the codes and a JSON pointer.</li>
 * </ul>
 *
 * This package imports neither {@code http} nor {@code mcp}; both import it.
 */
package dev.engram.cloud.api;
