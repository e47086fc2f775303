-- Typo correction for a key restricted to some workspaces uses only their words: this lists which memories hold
-- each word (one row per word and memory; memories_words is detail=none), to be counted per workspace.
CREATE VIRTUAL TABLE memories_words_instance USING fts5vocab(memories_words, instance);
