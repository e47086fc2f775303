package dev.engram.cloud.quota;

import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.config.EngramConfig.Plan;

import java.util.Map;

/**
 * The plan table (conf/engram.json {@code plans}, the seed's pricing by default): caps and rate limits by plan name.
 * A tenant whose stored plan is not in the table is treated as being on the default plan.
 */
public final class Plans {

  private final Map<String, Plan> byName;
  private final Plan defaultPlan;

  public Plans(EngramConfig.Quota quota) {
    this.byName = quota.plans();
    this.defaultPlan = byName.get(quota.defaultPlan());
  }

  public Plan of(String name) {
    return name == null ? defaultPlan : byName.getOrDefault(name, defaultPlan);
  }

  public boolean exists(String name) {
    return byName.containsKey(name);
  }

  public Plan defaultPlan() {
    return defaultPlan;
  }
}
