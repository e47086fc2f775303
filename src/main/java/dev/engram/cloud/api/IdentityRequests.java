package dev.engram.cloud.api;

import dev.engram.cloud.engine.EngineMessages.Caps;
import dev.engram.cloud.engine.EngineMessages.CreateIdentity;
import dev.engram.cloud.engine.EngineMessages.ResolveIdentity;
import dev.engram.cloud.model.Aliases;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/** Identities and marks on search results ({@code createIdentity}, {@code resolveIdentity}): the engine commands. */
public final class IdentityRequests {

  /** {@code createIdentity}: aliases normalized (Engram's rule); one that normalizes to nothing is refused. */
  public CreateIdentity create(JsonObject in, Caps caps) {
    List<String> aliases = new ArrayList<>();
    JsonArray given = in.getJsonArray("aliases", new JsonArray());
    for (int i = 0; i < given.size(); i++) aliases.add(alias(given.getString(i), "/aliases/" + i));
    return new CreateIdentity(in.getString("canonical_id").trim(), in.getString("display_name").trim(),
        in.getString("entity_type"), in.getString("description"), aliases, in.getJsonObject("metadata"), caps);
  }

  public ResolveIdentity resolve(JsonObject in) {
    return new ResolveIdentity(alias(in.getString("alias"), "/alias"));
  }

  private static String alias(String raw, String pointer) {
    String alias = Aliases.normalize(raw);
    if (alias.isEmpty()) throw Violations.withPointer("invalid_field", "An alias needs a letter or digit.", pointer);
    return alias;
  }
}
