-- Control plane (production). Mirrors db/control/V1.sql. Run by the owner role inside one transaction, with
-- search_path = engram. Every tenant-owned table has row-level security that even the owner cannot skip (FORCE);
-- the server's own role owns nothing and sees only the rows of the tenant its transaction names with
-- set_config('engram.tenant_id', <id>, true). Grants to that role live in grants.sql, applied at every start.

CREATE TABLE tenants (
  id          text PRIMARY KEY CHECK (id <> ''),
  name        text NOT NULL,
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'deleted')),
  plan        text NOT NULL DEFAULT 'free',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Users are global (one person may belong to several tenants); their emails are unique whatever the case.
CREATE TABLE users (
  id             text PRIMARY KEY,
  email          text NOT NULL,
  password_hash  text,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE tenant_members (
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  user_id     text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role        text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX tenant_members_user_idx ON tenant_members (user_id);

CREATE TABLE workspaces (
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, name)
);

CREATE TABLE api_keys (
  id            text PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name          text NOT NULL,
  prefix        text NOT NULL,
  key_hash      text NOT NULL UNIQUE,
  scopes        text[] NOT NULL,
  created_by    text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz,
  revoked_at    timestamptz,
  last_used_at  timestamptz
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, created_at);

CREATE TABLE usage_daily (
  tenant_id         text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  day               date NOT NULL,
  api_calls         bigint NOT NULL DEFAULT 0,
  memories_created  bigint NOT NULL DEFAULT 0,
  searches          bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, day)
);

-- No foreign key: the audit trail outlives a deleted tenant.
CREATE TABLE audit_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id   text NOT NULL CHECK (tenant_id <> ''),
  actor       text,
  action      text NOT NULL,
  target      text,
  details     jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, id);

-- Tenant isolation. current_setting(..., true) is NULL (or '' once set and reset) outside a tenant
-- transaction, and no tenant has either id, so such a session sees and may write nothing.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
  USING (id = current_setting('engram.tenant_id', true))
  WITH CHECK (id = current_setting('engram.tenant_id', true));

ALTER TABLE tenant_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_members FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_members
  USING (tenant_id = current_setting('engram.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('engram.tenant_id', true));

ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspaces FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workspaces
  USING (tenant_id = current_setting('engram.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('engram.tenant_id', true));

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
  USING (tenant_id = current_setting('engram.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('engram.tenant_id', true));

ALTER TABLE usage_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_daily FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_daily
  USING (tenant_id = current_setting('engram.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('engram.tenant_id', true));

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log
  USING (tenant_id = current_setting('engram.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('engram.tenant_id', true));

-- A user row is visible to the tenants it belongs to.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
  USING (EXISTS (SELECT 1 FROM tenant_members m
                 WHERE m.user_id = users.id AND m.tenant_id = current_setting('engram.tenant_id', true)));

-- The lookups that must cross tenants run as the owner through the SECURITY DEFINER functions below. FORCE
-- binds the owner too, so the owner (the role running this migration) gets exactly the access those
-- functions need, and no policy at all for anyone else.
DO $$
BEGIN
  EXECUTE format('CREATE POLICY definer_lookup ON tenants FOR SELECT TO %I USING (true)', current_user);
  EXECUTE format('CREATE POLICY definer_lookup ON tenant_members FOR SELECT TO %I USING (true)', current_user);
  EXECUTE format('CREATE POLICY definer_lookup ON api_keys FOR SELECT TO %I USING (true)', current_user);
  EXECUTE format('CREATE POLICY definer_insert ON users FOR INSERT TO %I WITH CHECK (true)', current_user);
  EXECUTE format('CREATE POLICY definer_lookup ON users FOR SELECT TO %I USING (true)', current_user);
END
$$;

-- API key by hash (authentication): only the columns a credential check needs; never the hash itself.
CREATE FUNCTION find_api_key(p_key_hash text)
RETURNS TABLE (id text, tenant_id text, name text, prefix text, scopes text[], created_at timestamptz,
               expires_at timestamptz, revoked_at timestamptz, tenant_status text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = engram, pg_temp
AS $$
  SELECT k.id, k.tenant_id, k.name, k.prefix, k.scopes, k.created_at, k.expires_at, k.revoked_at, t.status
  FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
  WHERE k.key_hash = p_key_hash
$$;

-- Sign-in by email: the user, the password hash, and their first tenant with their role there.
CREATE FUNCTION find_login(p_email text)
RETURNS TABLE (user_id text, email text, password_hash text, tenant_id text, role text, tenant_status text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = engram, pg_temp
AS $$
  SELECT u.id, u.email, u.password_hash, m.tenant_id, m.role, t.status
  FROM users u
  JOIN tenant_members m ON m.user_id = u.id
  JOIN tenants t ON t.id = m.tenant_id
  WHERE lower(u.email) = lower(p_email)
  ORDER BY m.created_at
  LIMIT 1
$$;

-- Sign-up: a new user row. Raises unique_violation (users_email_lower_key) when the email is taken, which is
-- all it tells about other users.
CREATE FUNCTION register_user(p_id text, p_email text, p_password_hash text)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = engram, pg_temp
AS $$
  INSERT INTO users (id, email, password_hash) VALUES (p_id, p_email, p_password_hash)
$$;

REVOKE ALL ON FUNCTION find_api_key(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION find_login(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION register_user(text, text, text) FROM PUBLIC;
