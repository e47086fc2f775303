-- Users who sign in through an external issuer (JWKS_URL) have no password and may have no email.
-- SQLite cannot drop NOT NULL in place: rebuild users (the migration runner turns foreign keys off meanwhile,
-- so tenant_members keeps its rows and its reference to the new table).
CREATE TABLE users_new (
  id             TEXT PRIMARY KEY,
  email          TEXT UNIQUE COLLATE NOCASE,
  password_hash  TEXT,
  created_at     TEXT NOT NULL
);
INSERT INTO users_new (id, email, password_hash, created_at) SELECT id, email, password_hash, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

-- (issuer, subject) of an external token → our user. A subject is linked once per issuer.
CREATE TABLE external_identities (
  issuer      TEXT NOT NULL,
  subject     TEXT NOT NULL,
  user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (issuer, subject)
);
CREATE INDEX idx_external_identities_user ON external_identities(user_id);
