-- Keyword search moves to a Lucene index beside this database (data/tenants/<id>/keyword/), and vectors are
-- computed off the write path.

-- Every memory's last change, in one sequence that only grows (seq): the keyword index records in its own commits
-- the last seq it applied, so after a crash, or with its files lost, it applies only what changed since (or
-- everything, from 0). A delete leaves its row with deleted = 1 (a tombstone). One row per memory ever stored; a
-- consumer asking "what changed since position p" (an incremental backup, say) reads the rows with seq > p.
CREATE TABLE memory_changes (
  memory_id  INTEGER PRIMARY KEY,
  seq        INTEGER NOT NULL UNIQUE,
  deleted    INTEGER NOT NULL DEFAULT 0
);
INSERT INTO memory_changes (memory_id, seq, deleted) SELECT id, id, 0 FROM memories;

CREATE TRIGGER memory_changes_insert AFTER INSERT ON memories BEGIN
  INSERT OR REPLACE INTO memory_changes (memory_id, seq, deleted)
  VALUES (new.id, (SELECT coalesce(max(seq), 0) + 1 FROM memory_changes), 0);
END;

CREATE TRIGGER memory_changes_update AFTER UPDATE ON memories BEGIN
  INSERT OR REPLACE INTO memory_changes (memory_id, seq, deleted)
  VALUES (new.id, (SELECT coalesce(max(seq), 0) + 1 FROM memory_changes), 0);
END;

CREATE TRIGGER memory_changes_delete AFTER DELETE ON memories BEGIN
  INSERT OR REPLACE INTO memory_changes (memory_id, seq, deleted)
  VALUES (old.id, (SELECT coalesce(max(seq), 0) + 1 FROM memory_changes), 1);
END;

-- A memory's vector is part of what the index holds of it: storing or removing one is a change of the memory.
CREATE TRIGGER memory_changes_vector_insert AFTER INSERT ON memory_vectors BEGIN
  INSERT OR REPLACE INTO memory_changes (memory_id, seq, deleted)
  VALUES (new.memory_id, (SELECT coalesce(max(seq), 0) + 1 FROM memory_changes), 0);
END;

CREATE TRIGGER memory_changes_vector_update AFTER UPDATE ON memory_vectors BEGIN
  INSERT OR REPLACE INTO memory_changes (memory_id, seq, deleted)
  VALUES (new.memory_id, (SELECT coalesce(max(seq), 0) + 1 FROM memory_changes), 0);
END;

CREATE TRIGGER memory_changes_vector_delete AFTER DELETE ON memory_vectors BEGIN
  INSERT OR REPLACE INTO memory_changes (memory_id, seq, deleted)
  VALUES (old.memory_id, (SELECT coalesce(max(seq), 0) + 1 FROM memory_changes),
          NOT EXISTS (SELECT 1 FROM memories WHERE id = old.memory_id));
END;

-- Memories waiting for a vector (new, or whose content or tags changed): the engine's background embedding takes
-- them in id order and removes each row in the transaction that stores its vector, so a restart resumes the backlog.
CREATE TABLE vector_pending (
  memory_id  INTEGER PRIMARY KEY REFERENCES memories(id) ON DELETE CASCADE
);
INSERT INTO vector_pending (memory_id)
SELECT m.id FROM memories m WHERE NOT EXISTS (SELECT 1 FROM memory_vectors v WHERE v.memory_id = m.id);

-- The FTS5 indexes (V1, V2) are replaced by the keyword index; their triggers were most of a write's cost.
DROP TRIGGER memories_fts_insert;
DROP TRIGGER memories_fts_delete;
DROP TRIGGER memories_fts_update;
DROP TABLE memories_fts;
DROP TRIGGER memories_words_insert;
DROP TRIGGER memories_words_delete;
DROP TRIGGER memories_words_update;
DROP TABLE memories_words_vocab;
DROP TABLE memories_words;
