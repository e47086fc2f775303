package dev.engram.cloud.search;

import java.util.EnumSet;
import java.util.Set;

import static dev.engram.cloud.search.FilterOp.CONTAINS;
import static dev.engram.cloud.search.FilterOp.EQ;
import static dev.engram.cloud.search.FilterOp.EXISTS;
import static dev.engram.cloud.search.FilterOp.GT;
import static dev.engram.cloud.search.FilterOp.GTE;
import static dev.engram.cloud.search.FilterOp.LT;
import static dev.engram.cloud.search.FilterOp.LTE;
import static dev.engram.cloud.search.FilterOp.NEQ;
import static dev.engram.cloud.search.FilterOp.NOT_CONTAINS;

/** The fields a filter condition may test, each with its value kind and the operators that make sense on it. */
public enum FilterField {
  ID("id", Kind.NUMBER, EnumSet.of(EQ, NEQ, GT, GTE, LT, LTE)),
  CONTENT("content", Kind.TEXT, EnumSet.of(EQ, NEQ, CONTAINS, NOT_CONTAINS)),
  MEMORY_TYPE("memory_type", Kind.TEXT, EnumSet.of(EQ, NEQ, CONTAINS, NOT_CONTAINS)),
  WORKSPACE("workspace", Kind.TEXT, EnumSet.of(EQ, NEQ, CONTAINS, NOT_CONTAINS)),
  TIER("tier", Kind.TEXT, EnumSet.of(EQ, NEQ)),
  TAGS("tags", Kind.TAGS, EnumSet.of(CONTAINS, NOT_CONTAINS, EXISTS)),
  IMPORTANCE("importance", Kind.NUMBER, EnumSet.of(EQ, NEQ, GT, GTE, LT, LTE)),
  VERSION("version", Kind.NUMBER, EnumSet.of(EQ, NEQ, GT, GTE, LT, LTE)),
  CREATED_AT("created_at", Kind.TIME, EnumSet.of(EQ, NEQ, GT, GTE, LT, LTE)),
  UPDATED_AT("updated_at", Kind.TIME, EnumSet.of(EQ, NEQ, GT, GTE, LT, LTE)),
  EXPIRES_AT("expires_at", Kind.TIME, EnumSet.of(GT, GTE, LT, LTE, EXISTS)),
  METADATA("metadata", Kind.JSON, EnumSet.allOf(FilterOp.class));

  public enum Kind { TEXT, NUMBER, TIME, TAGS, JSON }

  private final String wireName;
  private final Kind kind;
  private final Set<FilterOp> ops;

  FilterField(String wireName, Kind kind, Set<FilterOp> ops) {
    this.wireName = wireName;
    this.kind = kind;
    this.ops = ops;
  }

  public String wireName() {
    return wireName;
  }

  public Kind kind() {
    return kind;
  }

  public Set<FilterOp> ops() {
    return ops;
  }
}
