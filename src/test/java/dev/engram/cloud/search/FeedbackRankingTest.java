package dev.engram.cloud.search;

import dev.engram.cloud.search.HybridRanker.Scored;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Marks on search results as a ranking signal: bounded, and nothing at all without marks. */
class FeedbackRankingTest {

  private static final List<Scored> RANKED = List.of(new Scored(1, 0.80, new JsonObject().put("score", 0.80)),
      new Scored(2, 0.75, new JsonObject().put("score", 0.75)), new Scored(3, 0.30, null));

  @Test
  void without_marks_the_ranking_is_the_same_list() {
    assertSame(RANKED, HybridRanker.withFeedback(RANKED, Map.of()));
  }

  @Test
  void a_useful_mark_lifts_a_close_second_but_not_a_distant_one() {
    List<Scored> lifted = HybridRanker.withFeedback(RANKED, Map.of(2L, 1.0, 3L, 1.0));
    assertEquals(List.of(2L, 1L, 3L), lifted.stream().map(Scored::id).toList());
    assertEquals(0.75 * 1.2, lifted.get(0).score(), 1e-12);
    assertEquals(0.30 * 1.2, lifted.get(2).score(), 1e-12, "at most a fifth of its own score");
    assertEquals(0.75 * 0.2, lifted.get(0).explain().getJsonObject("feedback").getDouble("contribution"), 1e-12);
  }

  @Test
  void a_not_useful_mark_lowers_by_at_most_a_fifth_and_scores_stay_within_one() {
    List<Scored> lowered = HybridRanker.withFeedback(RANKED, Map.of(1L, -1.0));
    assertEquals(List.of(2L, 1L, 3L), lowered.stream().map(Scored::id).toList());
    assertEquals(0.64, lowered.get(1).score(), 1e-12);
    List<Scored> top = HybridRanker.withFeedback(List.of(new Scored(9, 0.95, null)), Map.of(9L, 1.0));
    assertEquals(1.0, top.get(0).score(), 1e-12);
  }
}
