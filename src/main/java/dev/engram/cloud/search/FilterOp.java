package dev.engram.cloud.search;

import java.util.Locale;

public enum FilterOp {
  EQ, NEQ, GT, GTE, LT, LTE, CONTAINS, NOT_CONTAINS, EXISTS;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
