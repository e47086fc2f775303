package dev.engram.cloud.search;

import dev.engram.cloud.sqlite.PrivateFiles;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.codecs.Codec;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.analysis.miscellaneous.PerFieldAnalyzerWrapper;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexOptions;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.MultiTerms;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.index.ConcurrentMergeScheduler;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.FieldExistsQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.index.ReaderManager;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.FieldDoc;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TopFieldCollectorManager;
import org.apache.lucene.search.TotalHits;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.FilterDirectory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexOutput;
import org.apache.lucene.store.Lock;
import org.apache.lucene.store.LockObtainFailedException;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One tenant's search index: Apache Lucene beside its SQLite database, which stays the source of truth. Holds, per
 * memory, the ranked text (content, tags, metadata; see {@link TextAnalysis#SEARCH}), its words as written (for typo
 * correction), its vector once computed, and the fields simple filters test (workspace, type, tier, tags,
 * importance, creation and update times).
 *
 * <p>Keyword ranking is BM25 with k1 0.9 and b 0.4 (Anserini's defaults for short documents) and Lucene's top-k
 * collection, which skips blocks of documents that cannot enter the top k (block-max WAND): a query costs what it
 * returns rather than how common its words are. Vectors sit in an HNSW graph (Lucene's {@code Lucene99HnswVectorsFormat}):
 * a model's vectors are dense, and comparing the query with every one of 100,000 of them costs tens of milliseconds,
 * the graph well under one.
 *
 * <p>The engine applies every committed change ({@link #apply}, one thread) together with its position in the
 * tenant's change sequence; a search sees every change applied before it started ({@link #searcher} refreshes when
 * there is something new). {@link #commit} makes the changes durable with that position in the commit, so that on
 * opening the engine re-applies only what changed after it ({@link #appliedSeq}). Thread-safe.
 */
public final class SearchIndex implements Closeable {

  private static final Logger log = LoggerFactory.getLogger(SearchIndex.class);
  public static final BM25Similarity SIMILARITY = new BM25Similarity(0.9f, 0.4f);
  static final String KEY = "key";
  static final String ID = "id";
  public static final String CONTENT = "content";
  public static final String TAGS = "tags";
  public static final String METADATA = "metadata";
  static final String WORDS = "words";
  static final String WORKSPACE = "workspace";
  static final String TYPE = "type";
  static final String TIER = "tier";
  static final String TAG = "tag";
  static final String IMPORTANCE = "importance";
  static final String CREATED = "created";
  static final String UPDATED = "updated";
  static final String VECTOR = "vector";
  /** What hybrid ranking reads of each candidate, as doc values (see {@link Searcher#facts}). */
  static final String IMPORTANCE_VALUE = "importance_value";
  static final String UPDATED_VALUE = "updated_value";
  static final String CONTEXT_PROJECT = "context_project";
  private static final String SEQ = "seq";
  private static final int NEAREST_BEAM = 100;
  /**
   * Equal scores put the newer memory first. Lucene would break ties by its internal document order, which merges
   * and re-indexing change: the same query could then answer differently from one moment to the next. With the
   * score first, top-k collection still skips documents that cannot compete.
   */
  private static final Sort BY_SCORE_THEN_NEWEST = new Sort(SortField.FIELD_SCORE,
      new SortField(ID, SortField.Type.LONG, true));
  /**
   * Up to this many memories, a semantic list compares the query with every vector (well under a millisecond):
   * exact, and the same from one run to the next, where the graph's answer depends on how its segments formed.
   */
  static final int EXACT_NEAREST_UP_TO = 5_000;
  /** Found, indexed, not ranked, no norms: the words only say which memories hold them. */
  private static final FieldType WORDS_TYPE = new FieldType();

  static {
    WORDS_TYPE.setIndexOptions(IndexOptions.DOCS);
    WORDS_TYPE.setTokenized(true);
    WORDS_TYPE.setOmitNorms(true);
    WORDS_TYPE.freeze();
  }

  /**
   * Lucene's codec with its HNSW format for vectors (16 neighbours, beam 100: its defaults), on float vectors: the
   * int8-quantized variant scored the same vectors less precisely and cost LoCoMo recall (0.609 → 0.602 at 5).
   */
  private static final Codec CODEC = new Lucene912Codec() {
    @Override
    public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
      return VECTORS;
    }
  };
  private static final KnnVectorsFormat VECTORS = new Lucene99HnswVectorsFormat();

  private static final Analyzer ANALYZER = new PerFieldAnalyzerWrapper(TextAnalysis.SEARCH,
      Map.of(WORDS, TextAnalysis.WORDS));

  /**
   * What the index holds of one memory; {@code vector} (unit length) is null until it is computed;
   * {@code contextProject}: the project whose scan made it a context memory (see ProjectContextStore), else null.
   */
  public record Doc(long id, String content, List<String> tags, String metadata, String workspace, String memoryType,
                    String tier, double importance, Instant createdAt, Instant updatedAt, float[] vector,
                    String contextProject) {
    public Doc(long id, String content, List<String> tags, String metadata, String workspace, String memoryType,
               String tier, double importance, Instant createdAt, Instant updatedAt, float[] vector) {
      this(id, content, tags, metadata, workspace, memoryType, tier, importance, createdAt, updatedAt, vector, null);
    }
  }

  /** The best hits of a query, best first (signal = BM25 score), and how many documents match in all. */
  public record Hits(List<HybridRanker.Ranked> hits, long total, boolean totalExact) {}

  private final Directory directory;
  private final IndexWriter writer;
  private final ReaderManager readers;
  private final boolean created;
  private volatile long appliedSeq;
  /** Bumped after each {@link #apply}; {@link #searchable} is the count the current reader is known to include. */
  private final AtomicLong changes = new AtomicLong();
  private volatile long searchable;
  private volatile long committedSeq;

  private SearchIndex(Directory directory, IndexWriter writer, boolean created) throws IOException {
    this.directory = directory;
    this.writer = writer;
    this.created = created;
    this.readers = new ReaderManager(writer, true, false);
    Map<String, String> data = new java.util.HashMap<>();
    Iterable<Map.Entry<String, String>> live = writer.getLiveCommitData();
    if (live != null) live.forEach(e -> data.put(e.getKey(), e.getValue()));
    long seq = 0;
    try {
      seq = Long.parseLong(data.getOrDefault(SEQ, "0"));
    } catch (NumberFormatException e) {
      log.warn("keyword index {} has an unreadable position; it is rebuilt", directory);
    }
    this.appliedSeq = seq;
    this.committedSeq = seq;
  }

  /**
   * Opens the index in {@code dir}, creating it when missing. An index that cannot be read (corrupt, or written by
   * an incompatible Lucene) is replaced by an empty one; {@link #created} then says so and {@link #appliedSeq} is 0.
   */
  public static SearchIndex open(Path dir) throws IOException {
    PrivateFiles.createDirectories(dir);
    Directory directory = new PrivateDirectory(FSDirectory.open(dir), dir);
    try {
      boolean existed = DirectoryReader.indexExists(directory);
      IndexWriter writer = null;
      try {
        writer = new IndexWriter(directory, config(IndexWriterConfig.OpenMode.CREATE_OR_APPEND));
        // opening a reader reads every segment's header and metadata: a damaged index fails here, not mid-search
        DirectoryReader.open(writer).close();
        return new SearchIndex(directory, writer, !existed);
      } catch (LockObtainFailedException e) {
        throw e; // another writer has it open: leave it alone
      } catch (IOException | RuntimeException e) {
        log.warn("search index {} cannot be read ({}); it is rebuilt from the database", dir, e.toString());
        if (writer != null) writer.rollback();
      }
      wipe(directory);
      return new SearchIndex(directory, new IndexWriter(directory, config(IndexWriterConfig.OpenMode.CREATE)), true);
    } catch (IOException | RuntimeException e) {
      directory.close();
      throw e;
    }
  }

  /**
   * Deletes an unreadable index's files, holding its write lock meanwhile (so never under a writer); a damaged lock
   * file goes last. The directory holds this index alone.
   */
  private static void wipe(Directory directory) throws IOException {
    try (Lock lock = directory.obtainLock(IndexWriter.WRITE_LOCK_NAME)) {
      for (String name : directory.listAll()) {
        if (!name.equals(IndexWriter.WRITE_LOCK_NAME)) directory.deleteFile(name);
      }
    }
    if (directory.fileLength(IndexWriter.WRITE_LOCK_NAME) != 0) directory.deleteFile(IndexWriter.WRITE_LOCK_NAME);
  }

  private static IndexWriterConfig config(IndexWriterConfig.OpenMode mode) {
    ConcurrentMergeScheduler merges = new ConcurrentMergeScheduler();
    // one merge thread per tenant at most: the machine's cores serve requests first
    merges.setMaxMergesAndThreads(2, 1);
    return new IndexWriterConfig(ANALYZER).setOpenMode(mode).setSimilarity(SIMILARITY).setMergeScheduler(merges)
        .setCodec(CODEC).setCommitOnClose(false);
  }

  /** True when {@link #open} found no readable index and made an empty one (it needs every memory). */
  public boolean created() {
    return created;
  }

  /** The position in the tenant's change sequence up to which every change has been applied. */
  public long appliedSeq() {
    return appliedSeq;
  }

  /** The position the last commit recorded: what survives a crash. */
  public long committedSeq() {
    return committedSeq;
  }

  /** Adds or replaces {@code upserts}, removes {@code deletes} (memory ids), and records {@code seq} as applied. */
  public void apply(Collection<Doc> upserts, Collection<Long> deletes, long seq) throws IOException {
    for (Doc d : upserts) writer.updateDocument(new Term(KEY, Long.toString(d.id())), document(d));
    for (long id : deletes) writer.deleteDocuments(new Term(KEY, Long.toString(id)));
    appliedSeq = Math.max(appliedSeq, seq);
    changes.incrementAndGet();
  }

  /** Empties the index (its position back to 0), for a rebuild from the database. */
  public void clear() throws IOException {
    writer.deleteAll();
    appliedSeq = 0;
    changes.incrementAndGet();
  }

  /** Whether changes were applied since the last commit. */
  public boolean uncommitted() {
    return appliedSeq != committedSeq || writer.hasUncommittedChanges();
  }

  /**
   * Makes every change applied so far durable, with the position it reached. Safe beside {@link #apply} on another
   * thread: the commit holds at least what was applied when it began, and applying a change again is harmless.
   */
  public void commit() throws IOException {
    long seq = appliedSeq;
    writer.setLiveCommitData(Map.of(SEQ, Long.toString(seq)).entrySet());
    writer.commit();
    committedSeq = seq;
  }

  private static Document document(Doc d) {
    Document doc = new Document();
    doc.add(new StringField(KEY, Long.toString(d.id()), Field.Store.NO));
    doc.add(new NumericDocValuesField(ID, d.id()));
    doc.add(new TextField(CONTENT, d.content(), Field.Store.NO));
    String tags = String.join(" ", d.tags());
    if (!tags.isEmpty()) doc.add(new TextField(TAGS, tags, Field.Store.NO));
    doc.add(new TextField(METADATA, d.metadata(), Field.Store.NO));
    doc.add(new Field(WORDS, tags.isEmpty() ? d.content() : d.content() + " " + tags, WORDS_TYPE));
    doc.add(new StringField(WORKSPACE, d.workspace(), Field.Store.NO));
    doc.add(new StringField(TYPE, d.memoryType(), Field.Store.NO));
    doc.add(new StringField(TIER, d.tier(), Field.Store.NO));
    for (String tag : d.tags()) doc.add(new StringField(TAG, foldTag(tag), Field.Store.NO));
    doc.add(new DoublePoint(IMPORTANCE, d.importance()));
    doc.add(new LongPoint(CREATED, d.createdAt().toEpochMilli()));
    doc.add(new LongPoint(UPDATED, d.updatedAt().toEpochMilli()));
    doc.add(new NumericDocValuesField(IMPORTANCE_VALUE, Double.doubleToLongBits(d.importance())));
    doc.add(new NumericDocValuesField(UPDATED_VALUE, d.updatedAt().toEpochMilli()));
    if (d.contextProject() != null) doc.add(new SortedDocValuesField(CONTEXT_PROJECT, new BytesRef(d.contextProject())));
    if (d.vector() != null) doc.add(new KnnFloatVectorField(VECTOR, d.vector(), VectorSimilarityFunction.DOT_PRODUCT));
    return doc;
  }

  /** Tags compare as SQLite's NOCASE does: ASCII letters ignore case, other characters do not. */
  public static String foldTag(String tag) {
    StringBuilder sb = new StringBuilder(tag.length());
    for (int i = 0; i < tag.length(); i++) {
      char c = tag.charAt(i);
      sb.append(c >= 'A' && c <= 'Z' ? (char) (c + 32) : c);
    }
    return sb.toString();
  }

  // ---- reading ----

  /** A searcher over every change applied before this call, with this index's ranking. Release it when done. */
  public Searcher searcher() throws IOException {
    long wanted = changes.get();
    if (searchable < wanted) {
      readers.maybeRefreshBlocking();
      synchronized (this) {
        if (searchable < wanted) searchable = wanted;
      }
    }
    return new Searcher(readers.acquire());
  }

  /** One point-in-time view of the index. */
  public final class Searcher implements Closeable {
    private final DirectoryReader reader;
    private final IndexSearcher searcher;

    private Searcher(DirectoryReader reader) {
      this.reader = reader;
      this.searcher = new IndexSearcher(reader);
      searcher.setSimilarity(SIMILARITY);
    }

    /**
     * The best {@code n} documents matching {@code query} and {@code filter} (null: none), by BM25. The total is
     * exact up to {@code exactTotalUpTo} matches (a lower bound beyond it, which lets top-k collection skip
     * non-competitive documents). {@code budget} may cut the search short (the hits found so far, marked partial).
     */
    public Hits top(Query query, Query filter, int n, int exactTotalUpTo, SearchBudget budget) throws IOException {
      Query q = filter == null ? query
          : new BooleanQuery.Builder().add(query, Occur.MUST).add(filter, Occur.FILTER).build();
      searcher.setTimeout(budget::expired);
      TopDocs top = searcher.search(q, new TopFieldCollectorManager(BY_SCORE_THEN_NEWEST, Math.max(1, n), null,
          exactTotalUpTo));
      if (searcher.timedOut()) budget.cut();
      List<HybridRanker.Ranked> hits = new ArrayList<>(top.scoreDocs.length);
      for (ScoreDoc sd : top.scoreDocs) {
        hits.add(new HybridRanker.Ranked(id(sd.doc), (Float) ((FieldDoc) sd).fields[0]));
      }
      return new Hits(hits, top.totalHits.value, top.totalHits.relation == TotalHits.Relation.EQUAL_TO);
    }

    /**
     * The {@code k} memories whose vectors are most similar to {@code query} (a unit vector) among those matching
     * {@code filter} (null: all), best first, with their cosine. Exact for a tenant of up to
     * {@value #EXACT_NEAREST_UP_TO} memories, or when the filter leaves no more than that (Lucene compares them
     * all); approximate over the HNSW graph beyond.
     */
    public List<HybridRanker.Ranked> nearest(float[] query, int k, Query filter) throws IOException {
      int want = Math.max(1, k);
      KnnFloatVectorQuery knn;
      if (reader.maxDoc() <= EXACT_NEAREST_UP_TO) {
        // a filter no larger than the list asked for makes Lucene compare every vector it lets through
        Query withVector = new FieldExistsQuery(VECTOR);
        Query all = filter == null ? withVector
            : new BooleanQuery.Builder().add(withVector, Occur.FILTER).add(filter, Occur.FILTER).build();
        knn = new KnnFloatVectorQuery(VECTOR, query, Math.max(want, reader.maxDoc()), all);
      } else {
        // a beam twice as wide as the list (Lucene's beam is its k): with a beam of k the approximate list missed
        // neighbours the exact one has (LoCoMo hybrid recall@5 0.609 → 0.605)
        knn = new KnnFloatVectorQuery(VECTOR, query, Math.max(2 * want, NEAREST_BEAM), filter);
      }
      TopDocs top = searcher.search(knn, want);
      List<HybridRanker.Ranked> hits = new ArrayList<>(top.scoreDocs.length);
      // Lucene scores a dot product d as (1 + d) / 2
      for (ScoreDoc sd : top.scoreDocs) hits.add(new HybridRanker.Ranked(id(sd.doc), 2.0 * sd.score - 1));
      return hits;
    }

    /**
     * What hybrid ranking needs of these memories (those in the index): importance, last change, and whether each
     * is a context memory of {@code project} (never when it is null). Content is not kept here: the phrase bonus
     * reads it from the database.
     */
    public Map<Long, HybridRanker.Facts> facts(Collection<Long> ids, String project) throws IOException {
      Map<Long, HybridRanker.Facts> out = new java.util.HashMap<>();
      if (ids.isEmpty()) return out;
      BytesRef wanted = project == null ? null : new BytesRef(project);
      TopDocs top = searcher.search(ids(ids), ids.size());
      for (ScoreDoc sd : top.scoreDocs) {
        LeafReaderContext leaf = reader.leaves().get(ReaderUtil.subIndex(sd.doc, reader.leaves()));
        int local = sd.doc - leaf.docBase;
        long id = value(leaf, ID, local);
        double importance = Double.longBitsToDouble(value(leaf, IMPORTANCE_VALUE, local));
        Instant updated = Instant.ofEpochMilli(value(leaf, UPDATED_VALUE, local));
        boolean context = false;
        if (wanted != null) {
          SortedDocValues projects = leaf.reader().getSortedDocValues(CONTEXT_PROJECT);
          context = projects != null && projects.advanceExact(local) && projects.lookupOrd(projects.ordValue()).equals(wanted);
        }
        out.put(id, new HybridRanker.Facts(null, importance, updated, context));
      }
      return out;
    }

    private long value(LeafReaderContext leaf, String field, int local) throws IOException {
      NumericDocValues values = leaf.reader().getNumericDocValues(field);
      if (values == null || !values.advanceExact(local)) throw new IOException("a document has no " + field);
      return values.longValue();
    }

    /** How many live documents match. */
    public int count(Query query) throws IOException {
      return searcher.count(query);
    }

    private long id(int doc) throws IOException {
      LeafReaderContext leaf = reader.leaves().get(ReaderUtil.subIndex(doc, reader.leaves()));
      NumericDocValues ids = leaf.reader().getNumericDocValues(ID);
      int local = doc - leaf.docBase;
      if (ids == null || !ids.advanceExact(local)) throw new IOException("document " + doc + " has no id");
      return ids.longValue();
    }

    /** The words memories hold (as written, lowercased) with how many live memories hold each. */
    public Vocabulary vocabulary() throws IOException {
      Vocabulary.Builder b = new Vocabulary.Builder();
      Terms terms = MultiTerms.getTerms(reader, WORDS);
      if (terms == null) return b.build();
      boolean deletions = reader.hasDeletions();
      Bits live = deletions ? org.apache.lucene.index.MultiBits.getLiveDocs(reader) : null;
      TermsEnum it = terms.iterator();
      PostingsEnum postings = null;
      for (BytesRef term = it.next(); term != null; term = it.next()) {
        int docs = it.docFreq();
        if (deletions) {
          // docFreq still counts deleted documents until their segment is merged away
          docs = 0;
          postings = it.postings(postings, PostingsEnum.NONE);
          for (int d = postings.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = postings.nextDoc()) {
            if (live == null || live.get(d)) docs++;
          }
        }
        if (docs > 0) b.add(term.utf8ToString(), docs);
      }
      return b.build();
    }

    @Override
    public void close() throws IOException {
      readers.release(reader);
    }
  }

  /**
   * The filter's simple constraints (workspaces, tags, type, tier, importance, creation and update times) as a
   * query, or null when it has none. Its {@link SearchFilter#tree()} is not part of it: the caller checks that
   * against the database.
   */
  public static Query filter(SearchFilter f) {
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    int n = 0;
    if (f.workspaces() != null) {
      b.add(anyOf(WORKSPACE, f.workspaces()), Occur.FILTER);
      n++;
    }
    if (f.tags() != null) {
      List<String> folded = f.tags().stream().map(SearchIndex::foldTag).toList();
      if (f.anyTag()) {
        b.add(anyOf(TAG, folded), Occur.FILTER);
      } else {
        for (String tag : folded) b.add(new TermQuery(new Term(TAG, tag)), Occur.FILTER);
      }
      n++;
    }
    if (f.memoryType() != null) {
      b.add(new TermQuery(new Term(TYPE, f.memoryType())), Occur.FILTER);
      n++;
    }
    if (f.tier() != null) {
      b.add(new TermQuery(new Term(TIER, f.tier())), Occur.FILTER);
      n++;
    }
    if (f.importanceMin() != null || f.importanceMax() != null) {
      b.add(DoublePoint.newRangeQuery(IMPORTANCE, f.importanceMin() == null ? Double.NEGATIVE_INFINITY : f.importanceMin(),
          f.importanceMax() == null ? Double.POSITIVE_INFINITY : f.importanceMax()), Occur.FILTER);
      n++;
    }
    if (f.createdAfter() != null || f.createdBefore() != null) {
      b.add(between(CREATED, f.createdAfter(), f.createdBefore()), Occur.FILTER);
      n++;
    }
    if (f.updatedAfter() != null || f.updatedBefore() != null) {
      b.add(between(UPDATED, f.updatedAfter(), f.updatedBefore()), Occur.FILTER);
      n++;
    }
    return n == 0 ? null : b.build();
  }

  /** Exactly these memories (by id), as a filter. */
  public static Query ids(Collection<Long> ids) {
    List<BytesRef> keys = new ArrayList<>(ids.size());
    for (long id : ids) keys.add(new BytesRef(Long.toString(id)));
    return new org.apache.lucene.search.TermInSetQuery(KEY, keys);
  }

  private static Query anyOf(String field, List<String> values) {
    List<BytesRef> terms = new ArrayList<>(values.size());
    for (String v : values) terms.add(new BytesRef(v));
    return new org.apache.lucene.search.TermInSetQuery(field, terms);
  }

  /** Strictly after {@code after} and strictly before {@code before} (each optional), at millisecond precision. */
  private static Query between(String field, Instant after, Instant before) {
    long from = after == null ? Long.MIN_VALUE : Math.addExact(after.toEpochMilli(), 1);
    long to = before == null ? Long.MAX_VALUE : Math.subtractExact(before.toEpochMilli(), 1);
    return LongPoint.newRangeQuery(field, from, to);
  }

  /** A query matching memories that hold {@code word} as written (see {@link TextAnalysis#WORDS}). */
  public static Query word(String word) {
    return new TermQuery(new Term(WORDS, word.toLowerCase(Locale.ROOT)));
  }

  @Override
  public void close() throws IOException {
    try {
      readers.close();
      if (uncommitted()) commit();
      writer.close();
    } finally {
      if (writer.isOpen()) writer.rollback();
      directory.close();
    }
  }

  /** Files the index writes are private (0600) like the rest of the data directory (see PrivateFiles). */
  private static final class PrivateDirectory extends FilterDirectory {
    private final Path path;

    PrivateDirectory(Directory in, Path path) {
      super(in);
      this.path = path;
    }

    @Override
    public IndexOutput createOutput(String name, IOContext context) throws IOException {
      IndexOutput out = super.createOutput(name, context);
      PrivateFiles.restrict(path.resolve(name));
      return out;
    }

    @Override
    public IndexOutput createTempOutput(String prefix, String suffix, IOContext context) throws IOException {
      IndexOutput out = super.createTempOutput(prefix, suffix, context);
      PrivateFiles.restrict(path.resolve(out.getName()));
      return out;
    }

    @Override
    public void copyFrom(Directory from, String src, String dest, IOContext context) throws IOException {
      super.copyFrom(from, src, dest, context);
      PrivateFiles.restrict(path.resolve(dest));
    }

    @Override
    public Lock obtainLock(String name) throws IOException {
      Lock lock = super.obtainLock(name);
      PrivateFiles.restrict(path.resolve(name));
      return lock;
    }
  }
}
