-- Links between memories (Engram's crossrefs): one row per (from, to, edge type), gone with either memory.
CREATE TABLE memory_links (
  from_id         INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
  to_id           INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
  edge_type       TEXT NOT NULL,
  strength        REAL NOT NULL DEFAULT 1.0,
  source          TEXT NOT NULL DEFAULT 'manual',
  source_context  TEXT,
  created_at      TEXT NOT NULL,
  PRIMARY KEY (from_id, to_id, edge_type)
) WITHOUT ROWID;
-- The primary key serves outgoing links; this one serves incoming links and the cascade from to_id.
CREATE INDEX idx_memory_links_to ON memory_links(to_id, from_id);

-- Recent activity reads memories by last change.
CREATE INDEX idx_memories_updated ON memories(updated_at);

-- Versions record the workspace too, so that a move shows in the history (NULL on rows written before V3).
ALTER TABLE memory_versions ADD COLUMN workspace TEXT;
