package dev.engram.cloud.model;

/** A memory's tier: permanent, or daily (it expires). */
public final class Tiers {

  public static final String PERMANENT = "permanent";
  public static final String DAILY = "daily";

  private Tiers() {}
}
