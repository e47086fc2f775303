package dev.engram.cloud.controlplane;

import dev.engram.cloud.bus.ApiException;

/** The most members the tenant's plan allows ({@code limit} null: no cap), for the 402 that names it. */
public record MemberCap(Long limit, String plan) {

  public boolean reached(long used) {
    return limit != null && used >= limit;
  }

  public ApiException exceeded(long used) {
    return ApiException.planLimit("members", limit, used, plan);
  }
}
