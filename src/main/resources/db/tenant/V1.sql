-- A tenant's memories (Engram's memory model). One database per tenant, owned by one engine verticle.
CREATE TABLE memories (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  content           TEXT NOT NULL,
  memory_type       TEXT NOT NULL DEFAULT 'note',
  tags              TEXT NOT NULL DEFAULT '[]',   -- JSON array, as returned; memory_tags indexes it
  metadata          TEXT NOT NULL DEFAULT '{}',   -- JSON object
  importance        REAL NOT NULL DEFAULT 0.5,
  workspace         TEXT NOT NULL DEFAULT 'default',
  tier              TEXT NOT NULL DEFAULT 'permanent' CHECK (tier IN ('permanent', 'daily')),
  expires_at        TEXT,
  content_hash      TEXT NOT NULL,
  version           INTEGER NOT NULL DEFAULT 1,
  access_count      INTEGER NOT NULL DEFAULT 0,
  last_accessed_at  TEXT,
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL
);
CREATE INDEX idx_memories_workspace ON memories(workspace, id);
CREATE INDEX idx_memories_type ON memories(memory_type, id);
CREATE INDEX idx_memories_expires ON memories(expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX idx_memories_hash ON memories(content_hash);

CREATE TABLE memory_tags (
  memory_id  INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
  tag        TEXT NOT NULL COLLATE NOCASE,
  PRIMARY KEY (memory_id, tag)
) WITHOUT ROWID;
CREATE INDEX idx_memory_tags_tag ON memory_tags(tag, memory_id);

CREATE TABLE memory_versions (
  memory_id   INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
  version     INTEGER NOT NULL,
  content     TEXT NOT NULL,
  tags        TEXT NOT NULL,
  metadata    TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (memory_id, version)
) WITHOUT ROWID;

-- Keyword search: BM25 over content, tags and metadata, kept in step by triggers.
CREATE VIRTUAL TABLE memories_fts USING fts5(
  content, tags, metadata,
  content = 'memories', content_rowid = 'id',
  tokenize = 'porter unicode61'
);

CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
  INSERT INTO memories_fts (rowid, content, tags, metadata) VALUES (new.id, new.content, new.tags, new.metadata);
END;

CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
  INSERT INTO memories_fts (memories_fts, rowid, content, tags, metadata)
  VALUES ('delete', old.id, old.content, old.tags, old.metadata);
END;

CREATE TRIGGER memories_fts_update AFTER UPDATE OF content, tags, metadata ON memories BEGIN
  INSERT INTO memories_fts (memories_fts, rowid, content, tags, metadata)
  VALUES ('delete', old.id, old.content, old.tags, old.metadata);
  INSERT INTO memories_fts (rowid, content, tags, metadata) VALUES (new.id, new.content, new.tags, new.metadata);
END;
