package dev.engram.cloud.search;

import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Weighted score fusion of a keyword and a semantic list, then a light rerank. Each candidate (a memory either list
 * found) carries both signals: its BM25 for the query (0 when it holds none of the words) divided by the best
 * candidate's, and its cosine similarity clamped to [0,1] (0 while it has no vector yet). With the list weights
 * normalised to sum 1, {@code fused = wk·bm25/max + ws·cosine}, in [0,1]. Measured on LoCoMo (README), this beats
 * reciprocal rank fusion, which throws away how far apart two candidates' scores are.
 *
 * <p>The rerank multiplies: {@code score = fused · (1 + wr·recency + wi·importance + wp·phrase + wc·context) /
 * (1 + wr + wi + wp + wc)}, where recency halves every {@code halfLifeDays}, importance is the memory's (0–1),
 * phrase is 1 when the whole query (two words or more) appears in the content, and context is 1 for a context
 * memory of the project a search names (wc is 0 when it names none). So the signals only ever move a memory by
 * their share of its own relevance (at most 20% with the default weights): a recent or important memory never
 * overtakes one that matches the query clearly better, and nothing outside the two lists is pulled in.
 */
public final class HybridRanker {

  /** Fusion and rerank weights. */
  public record Weights(double keyword, double semantic, double recency, double halfLifeDays, double importance,
                        double phrase, double projectContext) {
    /**
     * The bonus of a named project's context memories: naming a project asks for its rules, so they count double
     * against the other candidates (measured in RelevanceHarnessTest: a smaller bonus leaves another project's
     * section with the same heading first).
     */
    public static final double PROJECT_CONTEXT = 1.0;
    public static final Weights DEFAULT = new Weights(0.5, 0.5, 0.05, 30, 0.05, 0);

    public Weights(double keyword, double semantic, double recency, double halfLifeDays, double importance,
                   double phrase) {
      this(keyword, semantic, recency, halfLifeDays, importance, phrase, PROJECT_CONTEXT);
    }
  }

  /** One entry of an input list: its id and the list's own score (BM25 or cosine). */
  public record Ranked(long id, double signal) {}

  /**
   * A memory to rank: its BM25 for the query (0: none of the words), its cosine (NaN: no vector yet), and its
   * place in each list (0: not in it).
   */
  public record Candidate(long id, double bm25, double cosine, int keywordRank, int semanticRank) {}

  /**
   * What the reranker needs to know of a memory; {@code content} may be null when the phrase bonus neither counts
   * nor is shown; {@code projectContext}: it is a context memory of the project the search names.
   */
  public record Facts(String content, double importance, Instant updatedAt, boolean projectContext) {
    public Facts(String content, double importance, Instant updatedAt) {
      this(content, importance, updatedAt, false);
    }
  }

  /** One fused result, best first, with the breakdown explain shows (null unless asked for). */
  public record Scored(long id, double score, JsonObject explain) {}

  private HybridRanker() {}

  /**
   * Ranks the candidates (those without facts, gone since the lists were made, are left out), best first; equal
   * scores put the newer memory first. {@code projectNamed}: the search names a project, so its context memories
   * earn their bonus.
   */
  public static List<Scored> rank(List<Candidate> candidates, Map<Long, Facts> facts, String query, Weights w,
                                  Instant now, boolean projectNamed) {
    return rank(candidates, facts, query, w, now, projectNamed, true);
  }

  /** As above; {@code explain}: build each result's breakdown (200 small JSON objects a search otherwise). */
  public static List<Scored> rank(List<Candidate> candidates, Map<Long, Facts> facts, String query, Weights w,
                                  Instant now, boolean projectNamed, boolean explain) {
    double best = 0;
    for (Candidate c : candidates) best = Math.max(best, c.bm25());
    double sum = w.keyword() + w.semantic();
    double wk = w.keyword() / sum;
    double ws = w.semantic() / sum;
    double wc = projectNamed ? w.projectContext() : 0;
    double divisor = 1 + w.recency() + w.importance() + w.phrase() + wc;
    String phrase = normalize(query);
    boolean phraseQuery = phrase.contains(" ");
    List<Scored> out = new ArrayList<>();
    for (Candidate c : candidates) {
      Facts f = facts.get(c.id());
      if (f == null) continue;
      double keyword = best > 0 ? c.bm25() / best : 0;
      double semantic = Double.isNaN(c.cosine()) ? 0 : Math.max(0, Math.min(1, c.cosine()));
      double fused = wk * keyword + ws * semantic;
      double ageDays = Math.max(0, Duration.between(f.updatedAt(), now).toMillis() / 86_400_000.0);
      double recency = w.halfLifeDays() > 0 ? Math.pow(0.5, ageDays / w.halfLifeDays()) : 0;
      double phraseHit = phraseQuery && f.content() != null && normalize(f.content()).contains(phrase) ? 1 : 0;
      double context = f.projectContext() ? 1 : 0;
      double base = fused / divisor;
      double score = base * (1 + w.recency() * recency + w.importance() * f.importance() + w.phrase() * phraseHit
          + wc * context);
      if (!explain) {
        out.add(new Scored(c.id(), score, null));
        continue;
      }
      JsonObject breakdown = new JsonObject()
          .put("keyword", c.bm25() > 0 || c.keywordRank() > 0 ? new JsonObject().put("rank", c.keywordRank() > 0
              ? c.keywordRank() : null).put("bm25", c.bm25()).put("normalized", keyword) : null)
          .put("semantic", Double.isNaN(c.cosine()) ? null : new JsonObject().put("rank", c.semanticRank() > 0
              ? c.semanticRank() : null).put("similarity", c.cosine()))
          .put("fused", fused)
          .put("recency", new JsonObject().put("value", recency).put("contribution", base * w.recency() * recency))
          .put("importance", new JsonObject().put("value", f.importance())
              .put("contribution", base * w.importance() * f.importance()))
          .put("exact_phrase", new JsonObject().put("value", phraseHit > 0)
              .put("contribution", base * w.phrase() * phraseHit))
          .put("score", score);
      if (projectNamed) {
        breakdown.put("project_context", new JsonObject().put("value", f.projectContext())
            .put("contribution", base * wc * context));
      }
      out.add(new Scored(c.id(), score, breakdown));
    }
    out.sort(Comparator.comparingDouble(Scored::score).reversed().thenComparing(Scored::id, Comparator.reverseOrder()));
    return out;
  }

  /**
   * How far marks on search results move a memory, at most: its score times {@code 1 + FEEDBACK · signal}, the
   * signal in [-1, 1] (see FeedbackStore), so a memory marked useful gains at most a fifth of its own relevance and
   * one marked not useful loses as much; nothing outside the lists is pulled in.
   */
  public static final double FEEDBACK = 0.2;

  /**
   * The ranked list with each marked memory's score scaled by its feedback signal (capped at 1), re-sorted; the
   * same list when no candidate is marked, so a tenant without marks ranks exactly as before.
   */
  public static List<Scored> withFeedback(List<Scored> ranked, Map<Long, Double> signals) {
    if (signals.isEmpty()) return ranked;
    List<Scored> out = new ArrayList<>(ranked.size());
    for (Scored s : ranked) {
      Double signal = signals.get(s.id());
      if (signal == null || signal == 0) {
        out.add(s);
        continue;
      }
      double score = Math.min(1, s.score() * (1 + FEEDBACK * signal));
      JsonObject explain = s.explain() == null ? null : s.explain().copy()
          .put("feedback", new JsonObject().put("value", signal).put("contribution", score - s.score()))
          .put("score", score);
      out.add(new Scored(s.id(), score, explain));
    }
    out.sort(Comparator.comparingDouble(Scored::score).reversed().thenComparing(Scored::id, Comparator.reverseOrder()));
    return out;
  }

  /** Lowercase words separated by single spaces, so punctuation and spacing do not defeat a phrase match. */
  static String normalize(String s) {
    StringBuilder sb = new StringBuilder();
    boolean space = false;
    for (char c : s.toLowerCase(Locale.ROOT).toCharArray()) {
      if (Character.isLetterOrDigit(c)) {
        if (space && sb.length() > 0) sb.append(' ');
        sb.append(c);
        space = false;
      } else {
        space = true;
      }
    }
    return sb.toString();
  }
}
