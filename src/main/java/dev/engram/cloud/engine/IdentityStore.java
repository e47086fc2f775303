package dev.engram.cloud.engine;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.engine.EngineMessages.CreateIdentity;
import dev.engram.cloud.engine.EngineReplies.Identity;
import dev.engram.cloud.model.Aliases;
import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static dev.engram.cloud.engine.MemoryStore.bind;

/**
 * The SQL of identities and their aliases, on its {@link MemoryStore}'s connection, and the query expansion they
 * drive: a search whose query names an alias (word for word) also looks for the identity's display name.
 */
final class IdentityStore {

  /** At most this many display names are added to one query. */
  private static final int MAX_EXPANSIONS = 5;

  private final PreparedStatement byCanonical;
  private final PreparedStatement insert;
  private final PreparedStatement update;
  private final PreparedStatement aliasOwner;
  private final PreparedStatement insertAlias;
  private final PreparedStatement aliasesOf;
  private final PreparedStatement byAlias;
  private final PreparedStatement any;
  private final PreparedStatement allAliases;

  IdentityStore(Connection conn) throws SQLException {
    String columns = "i.id, i.canonical_id, i.display_name, i.entity_type, i.description, i.metadata, i.created_at,"
        + " i.updated_at";
    byCanonical = conn.prepareStatement("SELECT " + columns + " FROM identities i WHERE i.canonical_id = ?");
    insert = conn.prepareStatement("INSERT INTO identities (canonical_id, display_name, entity_type, description,"
        + " metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS);
    update = conn.prepareStatement("UPDATE identities SET display_name = ?2, entity_type = coalesce(?3, entity_type),"
        + " description = coalesce(?4, description), metadata = coalesce(?5, metadata), updated_at = ?6 WHERE id = ?1");
    aliasOwner = conn.prepareStatement("SELECT identity_id FROM identity_aliases WHERE alias = ?");
    insertAlias = conn.prepareStatement("INSERT OR IGNORE INTO identity_aliases (alias, identity_id, created_at)"
        + " VALUES (?, ?, ?)");
    aliasesOf = conn.prepareStatement("SELECT alias FROM identity_aliases WHERE identity_id = ? ORDER BY alias");
    byAlias = conn.prepareStatement("SELECT " + columns + " FROM identity_aliases a JOIN identities i"
        + " ON i.id = a.identity_id WHERE a.alias = ?");
    any = conn.prepareStatement("SELECT EXISTS (SELECT 1 FROM identity_aliases)");
    allAliases = conn.prepareStatement("SELECT a.alias, i.display_name FROM identity_aliases a JOIN identities i"
        + " ON i.id = a.identity_id");
  }

  /**
   * Creates the identity, or updates it when its canonical id exists (Engram's "create or update"), and adds the
   * aliases; an alias naming another identity is 409 {@code alias_taken} and changes nothing.
   */
  Identity create(CreateIdentity c, Instant now) throws SQLException {
    String at = Timestamps.format(now);
    Set<String> aliases = new LinkedHashSet<>(c.aliases());
    Optional<Identity> existing = find(c.canonicalId());
    long id = existing.map(Identity::id).orElse(-1L);
    for (String alias : aliases) {
      try (ResultSet rs = bind(aliasOwner, alias).executeQuery()) {
        if (rs.next() && rs.getLong(1) != id) {
          throw new ApiException(409, "alias_taken", "The alias '" + alias + "' names another identity.",
              new JsonObject().put("pointer", "/aliases").put("alias", alias));
        }
      }
    }
    String metadata = c.metadata() == null ? null : c.metadata().encode();
    if (existing.isEmpty()) {
      bind(insert, c.canonicalId(), c.displayName(), c.entityType() == null ? "person" : c.entityType(),
          c.description(), metadata == null ? "{}" : metadata, at, at).executeUpdate();
      try (ResultSet keys = insert.getGeneratedKeys()) {
        keys.next();
        id = keys.getLong(1);
      }
    } else {
      bind(update, id, c.displayName(), c.entityType(), c.description(), metadata, at).executeUpdate();
    }
    for (String alias : aliases) bind(insertAlias, alias, id, at).executeUpdate();
    return find(c.canonicalId()).orElseThrow();
  }

  /** The identity an alias names (the alias normalized), if any. */
  Optional<Identity> resolve(String alias) throws SQLException {
    try (ResultSet rs = bind(byAlias, alias).executeQuery()) {
      if (!rs.next()) return Optional.empty();
      return Optional.of(identity(rs));
    }
  }

  /**
   * The display names of the identities whose aliases the query names word for word and whose display name it
   * does not already hold; empty (one index probe) when the tenant has no aliases. Reads every alias otherwise:
   * linear in the tenant's aliases, on the engine's worker thread.
   */
  List<String> expansions(String query) throws SQLException {
    try (ResultSet rs = any.executeQuery()) {
      if (!rs.next() || rs.getInt(1) == 0) return List.of();
    }
    String words = " " + Aliases.words(query) + " ";
    Set<String> names = new LinkedHashSet<>();
    try (ResultSet rs = allAliases.executeQuery()) {
      while (rs.next() && names.size() < MAX_EXPANSIONS) {
        String alias = Aliases.words(rs.getString(1));
        String name = rs.getString(2);
        if (!alias.isEmpty() && words.contains(" " + alias + " ") && !words.contains(" " + Aliases.words(name) + " ")) {
          names.add(name);
        }
      }
    }
    return List.copyOf(names);
  }

  private Optional<Identity> find(String canonicalId) throws SQLException {
    try (ResultSet rs = bind(byCanonical, canonicalId).executeQuery()) {
      return rs.next() ? Optional.of(identity(rs)) : Optional.empty();
    }
  }

  private Identity identity(ResultSet rs) throws SQLException {
    long id = rs.getLong(1);
    List<String> aliases = new ArrayList<>();
    try (ResultSet a = bind(aliasesOf, id).executeQuery()) {
      while (a.next()) aliases.add(a.getString(1));
    }
    return new Identity(id, rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
        new JsonObject(rs.getString(6)), List.copyOf(aliases), rs.getString(7), rs.getString(8));
  }
}
