package dev.engram.cloud.search;

import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reciprocal rank fusion of a keyword and a semantic list, then a light rerank. A memory at rank r (1-based) of a
 * list earns {@code weight / (k + r)}; the sum is divided by its ceiling (first in every list), so {@code fused} is
 * in (0, 1]. The rerank adds small bonuses for recency (halving every {@code halfLifeDays}), importance and an
 * exact occurrence of the whole query in the content:
 * {@code final = (fused + wr*recency + wi*importance + wp*phrase) / (1 + wr + wi + wp)}, also in (0, 1].
 * When the search names a project, that project's context memories (from a project scan) earn one more bonus,
 * {@code wc}, added to the sum and to the divisor alike: a candidate already found by the lists moves up a few
 * places, nothing outside them is pulled in, and searches that name no project score exactly as before.
 */
public final class HybridRanker {

  /** Tunable weights; {@code k} = 60 is the usual RRF constant. */
  public record Weights(int k, double keyword, double semantic, double recency, double halfLifeDays,
                        double importance, double phrase, double projectContext) {
    /** The bonus of a named project's context memories, the same size as an exact phrase's. */
    public static final double PROJECT_CONTEXT = 0.1;
    public static final Weights DEFAULT = new Weights(60, 1.0, 1.0, 0.05, 30, 0.05, 0.1);

    public Weights(int k, double keyword, double semantic, double recency, double halfLifeDays, double importance,
                   double phrase) {
      this(k, keyword, semantic, recency, halfLifeDays, importance, phrase, PROJECT_CONTEXT);
    }
  }

  /** One entry of an input list: its id and the list's own score (BM25 strength or cosine). */
  public record Ranked(long id, double signal) {}

  /**
   * What the reranker needs to know of a memory; {@code projectContext}: it is a context memory of the project the
   * search names.
   */
  public record Facts(String content, double importance, Instant updatedAt, boolean projectContext) {
    public Facts(String content, double importance, Instant updatedAt) {
      this(content, importance, updatedAt, false);
    }
  }

  /** One fused result, best first, with the breakdown explain shows. */
  public record Scored(long id, double score, JsonObject explain) {}

  private HybridRanker() {}

  public static List<Scored> rank(List<Ranked> keyword, List<Ranked> semantic, Map<Long, Facts> facts, String query,
                                  Weights w, Instant now) {
    return rank(keyword, semantic, facts, query, w, now, false);
  }

  /** As above; {@code projectNamed}: the search names a project, so its context memories earn their bonus. */
  public static List<Scored> rank(List<Ranked> keyword, List<Ranked> semantic, Map<Long, Facts> facts, String query,
                                  Weights w, Instant now, boolean projectNamed) {
    Map<Long, Integer> kRank = positions(keyword);
    Map<Long, Integer> sRank = positions(semantic);
    Set<Long> ids = new LinkedHashSet<>();
    keyword.forEach(r -> ids.add(r.id()));
    semantic.forEach(r -> ids.add(r.id()));
    double ceiling = (w.keyword() + w.semantic()) / (w.k() + 1);
    double wc = projectNamed ? w.projectContext() : 0;
    double divisor = 1 + w.recency() + w.importance() + w.phrase() + wc;
    String phrase = normalize(query);
    List<Scored> out = new ArrayList<>();
    for (long id : ids) {
      Facts f = facts.get(id);
      if (f == null) continue; // gone since the lists were made
      Integer kr = kRank.get(id);
      Integer sr = sRank.get(id);
      double kPart = kr == null ? 0 : w.keyword() / (w.k() + kr);
      double sPart = sr == null ? 0 : w.semantic() / (w.k() + sr);
      double fused = ceiling > 0 ? (kPart + sPart) / ceiling : 0;
      double ageDays = Math.max(0, Duration.between(f.updatedAt(), now).toMillis() / 86_400_000.0);
      double recency = w.halfLifeDays() > 0 ? Math.pow(0.5, ageDays / w.halfLifeDays()) : 0;
      double phraseHit = phrase.length() > 0 && phrase.contains(" ") && normalize(f.content()).contains(phrase) ? 1 : 0;
      double context = f.projectContext() ? wc : 0;
      double score = (fused + w.recency() * recency + w.importance() * f.importance() + w.phrase() * phraseHit
          + context) / divisor;
      JsonObject explain = new JsonObject()
          .put("keyword", kr == null ? null : new JsonObject().put("rank", kr)
              .put("bm25_strength", keyword.get(kr - 1).signal()).put("rrf", kPart))
          .put("semantic", sr == null ? null : new JsonObject().put("rank", sr)
              .put("similarity", semantic.get(sr - 1).signal()).put("rrf", sPart))
          .put("fused", fused)
          .put("recency", new JsonObject().put("value", recency).put("contribution", w.recency() * recency / divisor))
          .put("importance", new JsonObject().put("value", f.importance())
              .put("contribution", w.importance() * f.importance() / divisor))
          .put("exact_phrase", new JsonObject().put("value", phraseHit > 0)
              .put("contribution", w.phrase() * phraseHit / divisor))
          .put("score", score);
      if (projectNamed) {
        explain.put("project_context", new JsonObject().put("value", f.projectContext())
            .put("contribution", context / divisor));
      }
      out.add(new Scored(id, score, explain));
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

  private static Map<Long, Integer> positions(List<Ranked> list) {
    Map<Long, Integer> out = new HashMap<>();
    for (int i = 0; i < list.size(); i++) out.putIfAbsent(list.get(i).id(), i + 1);
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
