package dev.engram.cloud.search;

import java.time.Instant;
import java.util.List;

/**
 * What a search may return, besides matching the query. Every part is optional (null or empty = no constraint)
 * and all parts must hold. {@code tags} are matched ignoring case: all of them, or any of them with {@code anyTag}.
 * Ranges are inclusive for importance, exclusive-after / exclusive-before for times.
 */
public record SearchFilter(List<String> workspaces, List<String> tags, boolean anyTag, String memoryType, String tier,
                           Double importanceMin, Double importanceMax, Instant createdAfter, Instant createdBefore,
                           Instant updatedAfter, Instant updatedBefore, FilterNode tree) {

  public static final SearchFilter NONE =
      new SearchFilter(null, null, false, null, null, null, null, null, null, null, null, null);

  public SearchFilter {
    workspaces = workspaces == null || workspaces.isEmpty() ? null : List.copyOf(workspaces);
    tags = tags == null || tags.isEmpty() ? null : List.copyOf(tags);
  }

  /** The filters of the original search request: one workspace, all of these tags, one type. */
  public static SearchFilter of(String workspace, List<String> tags, String memoryType) {
    return new SearchFilter(workspace == null ? null : List.of(workspace), tags, false, memoryType, null, null, null,
        null, null, null, null, null);
  }

  public boolean isEmpty() {
    return workspaces == null && tags == null && memoryType == null && tier == null && importanceMin == null
        && importanceMax == null && createdAfter == null && createdBefore == null && updatedAfter == null
        && updatedBefore == null && tree == null;
  }
}
