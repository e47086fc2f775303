package dev.engram.cloud.search;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * Which words each workspace of a tenant holds, with how many of its memories hold each. Typo correction for a key
 * restricted to some workspaces counts words through {@link #within}, so that it never suggests, nor reveals the
 * existence of, a word found only in another workspace. Immutable once built; safe to share between threads.
 */
public final class WorkspaceWords {

  private final Map<String, Map<String, Integer>> byWorkspace;
  private final long words;
  private final long chars;

  private WorkspaceWords(Map<String, Map<String, Integer>> byWorkspace, long words, long chars) {
    this.byWorkspace = byWorkspace;
    this.words = words;
    this.chars = chars;
  }

  public static final class Builder {
    private final Map<String, Map<String, Integer>> byWorkspace = new HashMap<>();
    private long words;
    private long chars;

    /** Counts one memory of {@code workspace} holding {@code term}. */
    public Builder count(String workspace, String term) {
      if (term.length() > Vocabulary.MAX_WORD || term.length() < 2) return this;
      int count = byWorkspace.computeIfAbsent(workspace, w -> new HashMap<>()).merge(term, 1, Integer::sum);
      if (count == 1) {
        words++;
        chars += term.length();
      }
      return this;
    }

    public WorkspaceWords build() {
      return new WorkspaceWords(byWorkspace, words, chars);
    }
  }

  /** Memories holding a word in these workspaces together: the counting function for {@link Vocabulary#correct}. */
  public ToIntFunction<String> within(Collection<String> workspaces) {
    List<Map<String, Integer>> maps = new ArrayList<>();
    for (String w : workspaces) {
      Map<String, Integer> m = byWorkspace.get(w);
      if (m != null) maps.add(m);
    }
    return term -> {
      int n = 0;
      for (Map<String, Integer> m : maps) n += m.getOrDefault(term, 0);
      return n;
    };
  }

  /** Distinct (workspace, word) pairs. */
  public long size() {
    return words;
  }

  /** Heap bytes held (approximately). */
  public long bytes() {
    return chars * 2 + words * 100;
  }
}
