package dev.engram.cloud.search;

/**
 * The time one search may work ({@code search.budget_ms}), from when the engine starts it. Each stage checks it
 * before it starts, SQL is interrupted when it runs out, and a stage cut short or skipped marks the answer
 * partial: the search answers with what it has instead of running on. Used by one thread.
 */
public final class SearchBudget {

  private final long deadlineNanos;
  private boolean partial;

  private SearchBudget(long deadlineNanos) {
    this.deadlineNanos = deadlineNanos;
  }

  public static SearchBudget ofMillis(long millis) {
    return new SearchBudget(System.nanoTime() + millis * 1_000_000);
  }

  /** A budget already spent: every stage is skipped (for tests of what a cut-short search answers). */
  public static SearchBudget spent() {
    return new SearchBudget(System.nanoTime() - 1);
  }

  public long deadlineNanos() {
    return deadlineNanos;
  }

  public boolean expired() {
    return System.nanoTime() - deadlineNanos >= 0;
  }

  /** True, and the answer marked partial, when the time is up: the caller skips its stage. */
  public boolean skip() {
    if (!expired()) return false;
    partial = true;
    return true;
  }

  /** Records that a stage was cut short. */
  public void cut() {
    partial = true;
  }

  /** Whether some stage was skipped or cut short: the answer holds what was found until then. */
  public boolean partial() {
    return partial;
  }
}
