-- Reads by id (Engram's access_count and last_accessed_at). Kept beside memories rather than in its columns of the
-- same names (V1, unused): counting a read then rewrites no memory row, so it fires no trigger and reindexes nothing.
-- The engine counts reads in memory and writes them here in batches (with the next write batch, or within a second).
CREATE TABLE memory_access (
  memory_id         INTEGER PRIMARY KEY REFERENCES memories(id) ON DELETE CASCADE,
  access_count      INTEGER NOT NULL,
  last_accessed_at  TEXT NOT NULL
);

-- Memory blocks (Engram's, Letta-style): small named texts an agent keeps in every prompt, edited in place, each
-- edit a new version. One per (workspace, block_type, label).
CREATE TABLE memory_blocks (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  workspace   TEXT NOT NULL,
  block_type  TEXT NOT NULL,
  label       TEXT NOT NULL,
  content     TEXT NOT NULL,
  max_tokens  INTEGER NOT NULL,
  version     INTEGER NOT NULL DEFAULT 1,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  UNIQUE (workspace, block_type, label)
);

-- Every version of a block, the current one included, with the reason given for the edit.
CREATE TABLE memory_block_versions (
  block_id    INTEGER NOT NULL REFERENCES memory_blocks(id) ON DELETE CASCADE,
  version     INTEGER NOT NULL,
  content     TEXT NOT NULL,
  reason      TEXT,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (block_id, version)
) WITHOUT ROWID;

-- Identities (Engram's): one entity under a canonical id and display name, and the aliases that name it. A search
-- whose query names an alias also looks for the display name. Aliases are stored normalized (lowercase, trimmed,
-- single spaces, no leading @ or #) and name one identity each.
CREATE TABLE identities (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  canonical_id  TEXT NOT NULL UNIQUE,
  display_name  TEXT NOT NULL,
  entity_type   TEXT NOT NULL,
  description   TEXT,
  metadata      TEXT NOT NULL DEFAULT '{}',
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);

CREATE TABLE identity_aliases (
  alias        TEXT PRIMARY KEY,
  identity_id  INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
  created_at   TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX idx_identity_aliases_identity ON identity_aliases(identity_id);

-- Marks on search results (Engram's memory_feedback): a memory was useful, or not, for a query (stored as its
-- lowercase words). Hybrid ranking reads them as a small bounded signal; they go with their memory.
CREATE TABLE search_feedback (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  memory_id   INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
  query       TEXT NOT NULL,
  useful      INTEGER NOT NULL CHECK (useful IN (0, 1)),
  created_at  TEXT NOT NULL
);
CREATE INDEX idx_search_feedback_memory ON search_feedback(memory_id, query);
