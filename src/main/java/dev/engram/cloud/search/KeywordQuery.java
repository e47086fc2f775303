package dev.engram.cloud.search;

import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.util.QueryBuilder;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns any user text into a Lucene query; the text is never query syntax, so {@code file.rs}, {@code OR}, {@code -x}
 * or a stray quote are just text. Each whitespace-separated token is one clause: a word matches its stem; a token
 * holding several words ({@code src/file.rs}, {@code parse_test}, {@code RML-916}) matches them as a phrase, in
 * order and adjacent. Any clause may match (so a question finds the memories holding its telling words, and BM25
 * lets rare words dominate); memories holding every clause earn more. Text in double quotes is a phrase every
 * result must hold. Fields: content and tags count fully, metadata half.
 */
public final class KeywordQuery {

  /**
   * What holding every clause adds, as a share of the clauses' own BM25. (A bonus for holding the whole query as a
   * phrase was measured too, and left out: it changed nothing on LoCoMo and put distractors that quote the query
   * words above the memory that answers it in the relevance harness.)
   */
  static final float ALL_WORDS_BOOST = 0.5f;
  private static final Map<String, Float> FIELDS = Map.of(SearchIndex.CONTENT, 1f, SearchIndex.TAGS, 1f,
      SearchIndex.METADATA, 0.5f);
  private static final List<String> FIELD_ORDER = List.of(SearchIndex.CONTENT, SearchIndex.TAGS, SearchIndex.METADATA);
  private static final Pattern QUOTED = Pattern.compile("\"([^\"]*)\"");
  private static final QueryBuilder BUILDER = new QueryBuilder(TextAnalysis.SEARCH);

  private KeywordQuery() {}

  /** The searchable whitespace-separated tokens of the text, as typed (quotes included). */
  public static List<String> tokens(String text) {
    List<String> out = new ArrayList<>();
    for (String token : text.trim().split("\\s+")) {
      if (token.codePoints().anyMatch(Character::isLetterOrDigit)) out.add(token);
    }
    return out;
  }

  /** True when the text holds a quoted phrase with a word to search for: every result must then hold it. */
  public static boolean quotesPhrase(String text) {
    Matcher m = QUOTED.matcher(text);
    while (m.find()) {
      if (phrase(m.group(1)).isPresent()) return true;
    }
    return false;
  }

  /** The query for {@code text}, or empty when it holds nothing searchable (only punctuation or stop words). */
  public static Optional<Query> of(String text) {
    return of(text, Map.of());
  }

  /**
   * As {@link #of(String)}; a token with an entry in {@code corrections} (keyed by the lowercased token) matches
   * either spelling.
   */
  public static Optional<Query> of(String text, Map<String, String> corrections) {
    List<Query> required = new ArrayList<>();
    StringBuilder rest = new StringBuilder();
    Matcher m = QUOTED.matcher(text);
    int last = 0;
    while (m.find()) {
      rest.append(text, last, m.start()).append(' ');
      phrase(m.group(1)).ifPresent(required::add);
      last = m.end();
    }
    rest.append(text.substring(last));

    Map<String, Query> clauses = new LinkedHashMap<>();
    for (String token : tokens(rest.toString())) {
      String bare = token.replace("\"", " ");
      Optional<Query> clause = phrase(bare);
      if (clause.isEmpty()) continue;
      String alternative = corrections.get(token.toLowerCase(Locale.ROOT));
      Query q = clause.get();
      if (alternative != null) {
        Optional<Query> alt = phrase(alternative);
        if (alt.isPresent()) q = new BooleanQuery.Builder().add(q, Occur.SHOULD).add(alt.get(), Occur.SHOULD).build();
      }
      clauses.putIfAbsent(q.toString(), q);
    }
    if (clauses.isEmpty() && required.isEmpty()) return Optional.empty();

    BooleanQuery.Builder query = new BooleanQuery.Builder();
    for (Query r : required) query.add(r, Occur.MUST);
    if (!clauses.isEmpty()) {
      BooleanQuery.Builder any = new BooleanQuery.Builder();
      clauses.values().forEach(c -> any.add(c, Occur.SHOULD));
      query.add(any.build(), required.isEmpty() ? Occur.MUST : Occur.SHOULD);
    }
    if (clauses.size() > 1) {
      BooleanQuery.Builder all = new BooleanQuery.Builder();
      clauses.values().forEach(c -> all.add(c, Occur.MUST));
      query.add(new BoostQuery(all.build(), ALL_WORDS_BOOST), Occur.SHOULD);
    }
    return Optional.of(query.build());
  }

  /**
   * A query matching {@code text}'s words in any ranked field: one word as a term, several (an identifier) as a
   * phrase; empty when it holds no word that is not a stop word.
   */
  public static Optional<Query> phrase(String text) {
    BooleanQuery.Builder fields = new BooleanQuery.Builder();
    int n = 0;
    for (String field : FIELD_ORDER) {
      Query q = BUILDER.createPhraseQuery(field, text);
      if (q == null) continue;
      float boost = FIELDS.get(field);
      fields.add(boost == 1f ? q : new BoostQuery(q, boost), Occur.SHOULD);
      n++;
    }
    return n == 0 ? Optional.empty() : Optional.of(fields.build());
  }

  /** A query matching memories that hold {@code word} in any ranked field, stemmed as the index stems it. */
  public static Optional<Query> stemmed(String word) {
    List<String> terms = TextAnalysis.terms(TextAnalysis.SEARCH, word);
    if (terms.size() != 1) return phrase(word);
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    for (String field : FIELD_ORDER) b.add(new TermQuery(new Term(field, terms.get(0))), Occur.SHOULD);
    return Optional.of(b.build());
  }
}
