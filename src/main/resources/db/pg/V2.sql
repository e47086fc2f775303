-- Users who sign in through an external issuer (JWKS_URL) have no password and may have no email. The unique
-- index on lower(email) lets any number of NULLs through, so a present email stays unique whatever its case.
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;

-- (issuer, subject) of an external token → our user. A subject is linked once per issuer.
CREATE TABLE external_identities (
  issuer      text NOT NULL,
  subject     text NOT NULL,
  user_id     text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (issuer, subject)
);
CREATE INDEX external_identities_user_idx ON external_identities (user_id);

-- Like users: a link is visible to the tenants its user belongs to. The server's role has no grant on the table
-- at all; it reads and writes links only through the two functions below.
ALTER TABLE external_identities ENABLE ROW LEVEL SECURITY;
ALTER TABLE external_identities FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON external_identities
  USING (EXISTS (SELECT 1 FROM tenant_members m
                 WHERE m.user_id = external_identities.user_id
                   AND m.tenant_id = current_setting('engram.tenant_id', true)));

DO $$
BEGIN
  EXECUTE format('CREATE POLICY definer_lookup ON external_identities FOR SELECT TO %I USING (true)', current_user);
  EXECUTE format('CREATE POLICY definer_insert ON external_identities FOR INSERT TO %I WITH CHECK (true)', current_user);
END
$$;

-- Token sign-in: the user linked to (issuer, subject) and each tenant they belong to, oldest membership first.
-- A linked user with no membership left comes back as one row with NULL tenant columns.
CREATE FUNCTION find_identity(p_issuer text, p_subject text)
RETURNS TABLE (user_id text, tenant_id text, role text, tenant_status text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = engram, pg_temp
AS $$
  SELECT i.user_id, m.tenant_id, m.role, t.status
  FROM external_identities i
  LEFT JOIN tenant_members m ON m.user_id = i.user_id
  LEFT JOIN tenants t ON t.id = m.tenant_id
  WHERE i.issuer = p_issuer AND i.subject = p_subject
  ORDER BY m.created_at, m.tenant_id
$$;

-- Token sign-up: a new user without a password, linked to (issuer, subject) in the same statement, so the
-- server can only ever link a subject to a user it is creating. Raises unique_violation on users_email_lower_key
-- (email taken) or external_identities_pkey (subject already linked) and writes nothing then.
CREATE FUNCTION register_external_user(p_id text, p_email text, p_issuer text, p_subject text)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = engram, pg_temp
AS $$
  INSERT INTO users (id, email, password_hash) VALUES (p_id, p_email, NULL);
  INSERT INTO external_identities (issuer, subject, user_id) VALUES (p_issuer, p_subject, p_id);
$$;

REVOKE ALL ON FUNCTION find_identity(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION register_external_user(text, text, text, text) FROM PUBLIC;
