package dev.engram.cloud.engine;

import dev.engram.cloud.search.FilterField;
import dev.engram.cloud.search.FilterNode;
import dev.engram.cloud.search.FilterOp;
import dev.engram.cloud.search.SearchFilter;
import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.json.JsonArray;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Turns a validated {@link SearchFilter} into SQL conditions on {@code memories m}. Only fixed SQL text comes from
 * here (column names from a closed set); every value, metadata path included, is appended to {@code params} and
 * bound as a {@code ?} parameter.
 */
final class FilterSql {

  private static final Map<FilterField, String> COLUMNS = Map.of(
      FilterField.ID, "m.id", FilterField.CONTENT, "m.content", FilterField.MEMORY_TYPE, "m.memory_type",
      FilterField.WORKSPACE, "m.workspace", FilterField.TIER, "m.tier", FilterField.IMPORTANCE, "m.importance",
      FilterField.VERSION, "m.version", FilterField.CREATED_AT, "m.created_at", FilterField.UPDATED_AT, "m.updated_at",
      FilterField.EXPIRES_AT, "m.expires_at");
  private static final Map<FilterOp, String> COMPARE = Map.of(FilterOp.EQ, " = ?", FilterOp.NEQ, " <> ?",
      FilterOp.GT, " > ?", FilterOp.GTE, " >= ?", FilterOp.LT, " < ?", FilterOp.LTE, " <= ?");

  private FilterSql() {}

  /** {@code " AND ..."} for each constraint of the filter (empty when there is none). */
  static String where(SearchFilter f, List<Object> params) {
    StringBuilder sql = new StringBuilder();
    if (f.workspaces() != null) {
      sql.append(" AND m.workspace IN (SELECT value FROM json_each(?))");
      params.add(new JsonArray(f.workspaces()).encode());
    }
    if (f.tags() != null) {
      String tagsJson = new JsonArray(f.tags()).encode();
      if (f.anyTag()) {
        sql.append(" AND EXISTS (SELECT 1 FROM memory_tags t WHERE t.memory_id = m.id"
            + " AND t.tag IN (SELECT value FROM json_each(?)))");
        params.add(tagsJson);
      } else {
        sql.append(" AND (SELECT count(*) FROM memory_tags t WHERE t.memory_id = m.id"
            + " AND t.tag IN (SELECT value FROM json_each(?))) = json_array_length(?)");
        params.add(tagsJson);
        params.add(tagsJson);
      }
    }
    compare(sql, params, "m.memory_type = ?", f.memoryType());
    compare(sql, params, "m.tier = ?", f.tier());
    compare(sql, params, "m.importance >= ?", f.importanceMin());
    compare(sql, params, "m.importance <= ?", f.importanceMax());
    compare(sql, params, "m.created_at > ?", time(f.createdAfter()));
    compare(sql, params, "m.created_at < ?", time(f.createdBefore()));
    compare(sql, params, "m.updated_at > ?", time(f.updatedAfter()));
    compare(sql, params, "m.updated_at < ?", time(f.updatedBefore()));
    if (f.tree() != null) sql.append(" AND ").append(node(f.tree(), params));
    return sql.toString();
  }

  private static void compare(StringBuilder sql, List<Object> params, String condition, Object value) {
    if (value == null) return;
    sql.append(" AND ").append(condition);
    params.add(value);
  }

  private static String time(Instant t) {
    return t == null ? null : Timestamps.format(t);
  }

  private static String node(FilterNode node, List<Object> params) {
    if (node instanceof FilterNode.And and) return group(and.children(), " AND ", params);
    if (node instanceof FilterNode.Or or) return group(or.children(), " OR ", params);
    return condition((FilterNode.Condition) node, params);
  }

  private static String group(List<FilterNode> children, String joiner, List<Object> params) {
    StringBuilder sql = new StringBuilder("(");
    for (int i = 0; i < children.size(); i++) {
      if (i > 0) sql.append(joiner);
      sql.append(node(children.get(i), params));
    }
    return sql.append(')').toString();
  }

  private static String condition(FilterNode.Condition c, List<Object> params) {
    FilterOp op = c.op();
    Object value = c.value() instanceof Instant t ? Timestamps.format(t) : c.value();
    switch (c.field()) {
      case TAGS:
        if (op == FilterOp.EXISTS) return Boolean.TRUE.equals(value) ? "m.tags <> '[]'" : "m.tags = '[]'";
        params.add(value);
        return (op == FilterOp.NOT_CONTAINS ? "NOT " : "")
            + "EXISTS (SELECT 1 FROM memory_tags t WHERE t.memory_id = m.id AND t.tag = ?)";
      case METADATA:
        return metadata(jsonPath(c.path()), op, value, params);
      case EXPIRES_AT:
        if (op == FilterOp.EXISTS) return Boolean.TRUE.equals(value) ? "m.expires_at IS NOT NULL" : "m.expires_at IS NULL";
        break;
      default:
        break;
    }
    String column = COLUMNS.get(c.field());
    if (op == FilterOp.CONTAINS || op == FilterOp.NOT_CONTAINS) {
      params.add(value);
      return (op == FilterOp.NOT_CONTAINS ? "NOT " : "") + "(instr(lower(" + column + "), lower(?)) > 0)";
    }
    params.add(value);
    return "(" + column + COMPARE.get(op) + ")";
  }

  /** Metadata keys were validated as [A-Za-z0-9_-]; quoting each keeps keys such as "a-b" one key. */
  private static String jsonPath(List<String> keys) {
    StringBuilder p = new StringBuilder("$");
    for (String key : keys) p.append(".\"").append(key).append('"');
    return p.toString();
  }

  private static String metadata(String path, FilterOp op, Object value, List<Object> params) {
    Object bound = value instanceof Boolean b ? (b ? 1 : 0) : value;
    switch (op) {
      case EXISTS:
        params.add(path);
        return Boolean.TRUE.equals(value) ? "(json_type(m.metadata, ?) IS NOT NULL)" : "(json_type(m.metadata, ?) IS NULL)";
      case EQ:
      case NEQ: {
        String test;
        if (value == null) {
          params.add(path);
          test = "(json_type(m.metadata, ?) = 'null')";
        } else {
          params.add(path);
          params.add(typeOf(value));
          params.add(path);
          params.add(bound);
          test = "(json_type(m.metadata, ?) IN (SELECT value FROM json_each(?)) AND json_extract(m.metadata, ?) = ?)";
        }
        // a missing key is "not equal", so NULL (unknown) must become false before negating
        return op == FilterOp.EQ ? test : "(NOT coalesce(" + test + ", 0))";
      }
      case CONTAINS:
      case NOT_CONTAINS: {
        // an array holds the value as an element; a string holds it as a substring (ignoring case)
        params.add(path);
        params.add(path);
        params.add(bound);
        params.add(path);
        params.add(String.valueOf(value));
        String test = "(CASE json_type(m.metadata, ?)"
            + " WHEN 'array' THEN EXISTS (SELECT 1 FROM json_each(m.metadata, ?) e WHERE e.value = ?)"
            + " WHEN 'text' THEN instr(lower(json_extract(m.metadata, ?)), lower(?)) > 0 ELSE 0 END)";
        return op == FilterOp.CONTAINS ? test : "(NOT coalesce(" + test + ", 0))";
      }
      default: {
        // order comparisons only between values of the same kind: numbers with numbers, text with text
        params.add(path);
        params.add(typeOf(value));
        params.add(path);
        params.add(bound);
        return "(json_type(m.metadata, ?) IN (SELECT value FROM json_each(?)) AND json_extract(m.metadata, ?)"
            + COMPARE.get(op) + ")";
      }
    }
  }

  /** The json_type() names a value may be stored as, as a JSON array. */
  private static String typeOf(Object value) {
    if (value instanceof Boolean) return "[\"true\",\"false\"]";
    if (value instanceof Number) return "[\"integer\",\"real\"]";
    return "[\"text\"]";
  }
}
