package dev.engram.cloud.search;

import java.util.List;

/** A validated filter tree (see {@link FilterParser} for the JSON form). */
public sealed interface FilterNode permits FilterNode.And, FilterNode.Or, FilterNode.Condition {

  record And(List<FilterNode> children) implements FilterNode {}

  record Or(List<FilterNode> children) implements FilterNode {}

  /**
   * One test on a field. {@code path} holds the keys below {@code metadata} (empty for other fields); {@code value}
   * is a String, Double, Boolean, an Instant for time fields, or null (only for eq/neq on metadata and exists).
   */
  record Condition(FilterField field, List<String> path, FilterOp op, Object value) implements FilterNode {}
}
