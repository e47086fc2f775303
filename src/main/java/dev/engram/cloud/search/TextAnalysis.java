package dev.engram.cloud.search;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.util.CharTokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How text becomes index terms. A word is a run of letters and digits, so punctuation never joins or hides words:
 * {@code src/file.rs} holds {@code src}, {@code file}, {@code rs}, {@code parse_test} holds {@code parse} and
 * {@code test} (an identifier is then searched as the phrase of its parts, see {@link KeywordQuery}); this is the
 * tokenization SQLite's unicode61 gave before. {@link #SEARCH} lowercases, drops English stop words (NLTK's list)
 * and applies Porter stemming ({@code preferences} finds {@code prefers}); {@link #WORDS} keeps the words as written
 * (lowercased, nothing dropped), which typo correction suggests.
 */
public final class TextAnalysis {

  /** NLTK's English stop words: words a question is made of that say nothing about what it asks. */
  public static final CharArraySet STOP_WORDS = CharArraySet.unmodifiableSet(new CharArraySet(Arrays.asList((
      "i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers"
      + " herself it its itself they them their theirs themselves what which who whom this that these those am is are"
      + " was were be been being have has had having do does did doing a an the and but if or because as until while"
      + " of at by for with about against between into through during before after above below to from up down in"
      + " out on off over under again further then once here there when where why how all any both each few more"
      + " most other some such no nor not only own same so than too very s t can will just don should now d ll m o"
      + " re ve y ain aren couldn didn doesn hadn hasn haven isn ma mightn mustn needn shan shouldn wasn weren won"
      + " wouldn").split(" ")), false));

  /** Terms for ranking: lowercased, stop words dropped, Porter-stemmed. */
  public static final Analyzer SEARCH = new Analyzer() {
    @Override
    protected TokenStreamComponents createComponents(String field) {
      Tokenizer words = words();
      return new TokenStreamComponents(words,
          new PorterStemFilter(new StopFilter(new LowerCaseFilter(words), STOP_WORDS)));
    }

    @Override
    protected TokenStream normalize(String field, TokenStream in) {
      return new LowerCaseFilter(in);
    }
  };

  /** The words as written, lowercased: the vocabulary typo correction draws on. */
  public static final Analyzer WORDS = new Analyzer() {
    @Override
    protected TokenStreamComponents createComponents(String field) {
      Tokenizer words = words();
      return new TokenStreamComponents(words, new LowerCaseFilter(words));
    }
  };

  private TextAnalysis() {}

  private static Tokenizer words() {
    return CharTokenizer.fromTokenCharPredicate(Character::isLetterOrDigit);
  }

  /** The terms {@code analyzer} makes of {@code text}, in order (stop words leave no trace). */
  public static List<String> terms(Analyzer analyzer, String text) {
    List<String> out = new ArrayList<>();
    try (TokenStream ts = analyzer.tokenStream("", text)) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      ts.reset();
      while (ts.incrementToken()) out.add(term.toString());
      ts.end();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringReader does not fail
    }
    return out;
  }
}
