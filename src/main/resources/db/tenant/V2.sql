-- Semantic and fuzzy search.

-- One embedding per memory: [scale float32 LE][384 int8] (search/Vectors), computed by the engine in the write
-- transaction that stores the memory. The embedder id it was made with is kept in search_meta, so vectors made by
-- another embedder are recomputed when the database is opened.
CREATE TABLE memory_vectors (
  memory_id  INTEGER PRIMARY KEY REFERENCES memories(id) ON DELETE CASCADE,
  embedding  BLOB NOT NULL
);

CREATE TABLE search_meta (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
) WITHOUT ROWID;

-- The tenant's own words, unstemmed, for typo correction. memories_fts stores porter stems ("databas"), which are
-- neither words to suggest nor safe to search for again; this index keeps the words as written (lowercased) and
-- only which memories hold them (detail=none), and memories_words_vocab lists them with document counts.
CREATE VIRTUAL TABLE memories_words USING fts5(
  content, tags,
  content = 'memories', content_rowid = 'id',
  tokenize = 'unicode61', detail = none
);
INSERT INTO memories_words (memories_words) VALUES ('rebuild');

CREATE VIRTUAL TABLE memories_words_vocab USING fts5vocab(memories_words, row);

CREATE TRIGGER memories_words_insert AFTER INSERT ON memories BEGIN
  INSERT INTO memories_words (rowid, content, tags) VALUES (new.id, new.content, new.tags);
END;

CREATE TRIGGER memories_words_delete AFTER DELETE ON memories BEGIN
  INSERT INTO memories_words (memories_words, rowid, content, tags) VALUES ('delete', old.id, old.content, old.tags);
END;

CREATE TRIGGER memories_words_update AFTER UPDATE OF content, tags ON memories BEGIN
  INSERT INTO memories_words (memories_words, rowid, content, tags) VALUES ('delete', old.id, old.content, old.tags);
  INSERT INTO memories_words (rowid, content, tags) VALUES (new.id, new.content, new.tags);
END;
