-- Teams, key lifecycle, a hash-chained audit log and tenant lifecycle (mirrors db/control/V3.sql).
-- FORCE binds the owner running this migration too, and no policy lets it update rows of no tenant: the two
-- backfills below lift FORCE on their table for this transaction only.

-- A tenant's slug: unique and URL-safe. Existing tenants get their id with the underscore as a hyphen (tn_abc… →
-- tn-abc…), unique because ids are; owners may change it. A deleted tenant keeps its row (status 'deleted', the head
-- of its audit chain) and gives its slug up (NULL).
ALTER TABLE tenants ADD COLUMN slug text CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$');
ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY;
UPDATE tenants SET slug = replace(id, '_', '-');
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE UNIQUE INDEX tenants_slug_key ON tenants (slug);
-- The head of the tenant's audit chain: its last entry's position and hash, so a removed last entry shows too.
ALTER TABLE tenants ADD COLUMN audit_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN audit_head text;
ALTER TABLE tenants ADD COLUMN deleted_at timestamptz;

-- Raised by a password change: session tokens carry the version they were issued under, older ones stop.
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;

-- A member may be restricted to workspaces (NULL: every workspace). At most one owner per tenant (the server keeps
-- exactly one: ownership moves only by transfer).
ALTER TABLE tenant_members ADD COLUMN workspaces text[];
CREATE UNIQUE INDEX tenant_members_one_owner ON tenant_members (tenant_id) WHERE role = 'owner';

-- The member whose rights bound a key: the user who made it (or whose key made it). Existing keys: their maker when
-- that is a member, else the tenant's owner.
ALTER TABLE api_keys ADD COLUMN user_id text;
ALTER TABLE api_keys NO FORCE ROW LEVEL SECURITY;
UPDATE api_keys k SET user_id = COALESCE(
  (SELECT m.user_id FROM tenant_members m WHERE m.tenant_id = k.tenant_id AND m.user_id = k.created_by),
  (SELECT m.user_id FROM tenant_members m WHERE m.tenant_id = k.tenant_id AND m.role = 'owner'));
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE INDEX api_keys_user_idx ON api_keys (tenant_id, user_id);
-- Rotation: the key that replaced this one (this one then expires at the end of the overlap).
ALTER TABLE api_keys ADD COLUMN rotated_to text;
-- When the key's expiry was written to the audit log (once).
ALTER TABLE api_keys ADD COLUMN expiry_audited_at timestamptz;
CREATE INDEX api_keys_expiry_idx ON api_keys (expires_at)
  WHERE expires_at IS NOT NULL AND expiry_audited_at IS NULL AND revoked_at IS NULL;

CREATE TABLE tenant_invites (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE CHECK (tenant_id <> ''),
  email        text NOT NULL,
  role         text NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
  workspaces   text[],
  token_hash   text NOT NULL UNIQUE,
  created_by   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  accepted_at  timestamptz,
  accepted_by  text,
  revoked_at   timestamptz
);
CREATE INDEX tenant_invites_tenant_idx ON tenant_invites (tenant_id, created_at);
ALTER TABLE tenant_invites ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_invites FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_invites
  USING (tenant_id = current_setting('engram.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('engram.tenant_id', true));

-- The audit chain: each entry's position in its tenant's chain, the hash of the previous entry and its own hash
-- (SHA-256 over the previous hash and a canonical encoding of the entry, computed by the server: see
-- controlplane/AuditChain). Entries written before this version have no position or hash: they stay, ahead of the
-- chain. The server's role may insert entries and read them, never change or remove one (grants.sql).
ALTER TABLE audit_log ADD COLUMN seq bigint;
ALTER TABLE audit_log ADD COLUMN ip text;
ALTER TABLE audit_log ADD COLUMN user_agent text;
ALTER TABLE audit_log ADD COLUMN request_id text;
ALTER TABLE audit_log ADD COLUMN outcome text NOT NULL DEFAULT 'ok';
ALTER TABLE audit_log ADD COLUMN prev_hash text;
ALTER TABLE audit_log ADD COLUMN hash text;
CREATE UNIQUE INDEX audit_log_tenant_seq_key ON audit_log (tenant_id, seq);

-- Audit entries are chained by the server, one tenant at a time: no definer function writes them any more (V3's
-- release_unverified_email did, across tenants, below), so the owner loses its insert policy on the log.
DROP POLICY definer_insert ON audit_log;

-- What the definer functions below need beyond V1–V3's policies, for the owner only: invites by token hash, and
-- removing a user who belongs to no tenant any more.
DO $$
BEGIN
  EXECUTE format('CREATE POLICY definer_lookup ON tenant_invites FOR SELECT TO %I USING (true)', current_user);
  EXECUTE format('CREATE POLICY definer_delete ON users FOR DELETE TO %I USING (true)', current_user);
END
$$;

-- As in V3, without writing audit lines: the server appends 'user.email_released' to each tenant of the user it
-- returns, in that tenant's chain.
CREATE OR REPLACE FUNCTION release_unverified_email(p_email text, p_issuer text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = engram, pg_temp
AS $$
DECLARE
  v_user text;
BEGIN
  UPDATE users u SET email = NULL
  WHERE lower(u.email) = lower(p_email) AND u.password_hash IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM external_identities i WHERE i.user_id = u.id)
  RETURNING u.id INTO v_user;
  RETURN v_user;
END
$$;

-- API key by hash (authentication): as in V1, with the tenant's slug, the member the key acts for and that member's
-- role and workspaces in the key's tenant (NULL role: no longer a member). Never the hash itself.
DROP FUNCTION find_api_key(text);
CREATE FUNCTION find_api_key(p_key_hash text)
RETURNS TABLE (id text, tenant_id text, name text, prefix text, scopes text[], created_at timestamptz,
               expires_at timestamptz, revoked_at timestamptz, tenant_status text, user_id text,
               last_used_at timestamptz, rotated_to text, tenant_slug text, member_role text,
               member_workspaces text[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = engram, pg_temp
AS $$
  SELECT k.id, k.tenant_id, k.name, k.prefix, k.scopes, k.created_at, k.expires_at, k.revoked_at, t.status,
         k.user_id, k.last_used_at, k.rotated_to, t.slug, m.role, m.workspaces
  FROM api_keys k
  JOIN tenants t ON t.id = k.tenant_id
  LEFT JOIN tenant_members m ON m.tenant_id = k.tenant_id AND m.user_id = k.user_id
  WHERE k.key_hash = p_key_hash
$$;

-- Sign-in by email: the user, the password hash, the token version, and every tenant they belong to (oldest
-- membership first; one row with NULL tenant columns for a user who belongs to none).
DROP FUNCTION find_login(text);
CREATE FUNCTION find_login(p_email text)
RETURNS TABLE (user_id text, email text, password_hash text, token_version integer, tenant_id text,
               tenant_slug text, role text, tenant_status text, workspaces text[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = engram, pg_temp
AS $$
  SELECT u.id, u.email, u.password_hash, u.token_version, m.tenant_id, t.slug, m.role, t.status, m.workspaces
  FROM users u
  LEFT JOIN tenant_members m ON m.user_id = u.id
  LEFT JOIN tenants t ON t.id = m.tenant_id
  WHERE lower(u.email) = lower(p_email)
  ORDER BY m.created_at, m.tenant_id
$$;

-- The same by user id: a session token's user (checked, through a cache, on every request) or a password change.
CREATE FUNCTION find_user(p_user_id text)
RETURNS TABLE (user_id text, email text, password_hash text, token_version integer, tenant_id text,
               tenant_slug text, role text, tenant_status text, workspaces text[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = engram, pg_temp
AS $$
  SELECT u.id, u.email, u.password_hash, u.token_version, m.tenant_id, t.slug, m.role, t.status, m.workspaces
  FROM users u
  LEFT JOIN tenant_members m ON m.user_id = u.id
  LEFT JOIN tenants t ON t.id = m.tenant_id
  WHERE u.id = p_user_id
  ORDER BY m.created_at, m.tenant_id
$$;

-- Token sign-in: as in V2, with each tenant's slug and the member's workspaces.
DROP FUNCTION find_identity(text, text);
CREATE FUNCTION find_identity(p_issuer text, p_subject text)
RETURNS TABLE (user_id text, tenant_id text, tenant_slug text, role text, tenant_status text, workspaces text[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = engram, pg_temp
AS $$
  SELECT i.user_id, m.tenant_id, t.slug, m.role, t.status, m.workspaces
  FROM external_identities i
  LEFT JOIN tenant_members m ON m.user_id = i.user_id
  LEFT JOIN tenants t ON t.id = m.tenant_id
  WHERE i.issuer = p_issuer AND i.subject = p_subject
  ORDER BY m.created_at, m.tenant_id
$$;

-- An invite by the hash of its token, for the invitee (who does not know the tenant yet). Never the hash itself.
CREATE FUNCTION find_invite(p_token_hash text)
RETURNS TABLE (id text, tenant_id text, email text, role text, workspaces text[], created_by text,
               created_at timestamptz, expires_at timestamptz, accepted_at timestamptz, revoked_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = engram, pg_temp
AS $$
  SELECT i.id, i.tenant_id, i.email, i.role, i.workspaces, i.created_by, i.created_at, i.expires_at, i.accepted_at,
         i.revoked_at
  FROM tenant_invites i
  WHERE i.token_hash = p_token_hash
$$;

-- Adds p_user_id to the tenant the transaction names (engram.tenant_id; never a parameter) and returns the role
-- given. Allowed:
--   * the founding owner of a sign-up (p_invite NULL), exactly as in V3;
--   * an invite (p_invite): an invite of this tenant, neither accepted, revoked nor expired, for the user's email (a
--     user without an email may accept any), for a user who is not a member yet, while the tenant has fewer members
--     than the cap the transaction names (engram.member_cap: a number, or 'unlimited'; required). The tenant's row
--     is locked first, so accepts of one tenant run one after another and the cap holds. The invite is marked
--     accepted by the user, and the member gets its role and workspaces.
-- Anything else raises insufficient_privilege and writes nothing.
CREATE OR REPLACE FUNCTION add_member(p_user_id text, p_invite text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = engram, pg_temp
AS $$
DECLARE
  v_tenant text := current_setting('engram.tenant_id', true);
  v_xid text := (txid_current() % 4294967296)::text;
  v_cap text := current_setting('engram.member_cap', true);
  v_invite tenant_invites%ROWTYPE;
  v_email text;
BEGIN
  IF v_tenant IS NULL OR v_tenant = '' THEN
    RAISE EXCEPTION 'this user may not be added to this tenant' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF p_invite IS NULL THEN
    IF NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = v_tenant AND t.xmin::text = v_xid)
       OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = p_user_id AND u.xmin::text = v_xid)
       OR EXISTS (SELECT 1 FROM tenant_members m WHERE m.tenant_id = v_tenant)
       OR EXISTS (SELECT 1 FROM tenant_members m WHERE m.user_id = p_user_id) THEN
      RAISE EXCEPTION 'this user may not be added to this tenant' USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO tenant_members (tenant_id, user_id, role) VALUES (v_tenant, p_user_id, 'owner');
    RETURN 'owner';
  END IF;

  PERFORM 1 FROM tenants t WHERE t.id = v_tenant AND t.status = 'active' FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'the tenant is not active' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT * INTO v_invite FROM tenant_invites i WHERE i.id = p_invite AND i.tenant_id = v_tenant FOR UPDATE;
  IF NOT FOUND OR v_invite.accepted_at IS NOT NULL OR v_invite.revoked_at IS NOT NULL
     OR v_invite.expires_at <= now() THEN
    RAISE EXCEPTION 'this invite cannot be accepted' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT u.email INTO v_email FROM users u WHERE u.id = p_user_id;
  IF NOT FOUND OR (v_email IS NOT NULL AND lower(v_email) <> lower(v_invite.email)) THEN
    RAISE EXCEPTION 'this invite is for another email' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF EXISTS (SELECT 1 FROM tenant_members m WHERE m.tenant_id = v_tenant AND m.user_id = p_user_id) THEN
    RAISE EXCEPTION 'this user is a member already' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF v_cap IS NULL OR v_cap = '' OR (v_cap <> 'unlimited' AND v_cap !~ '^[0-9]{1,18}$') THEN
    RAISE EXCEPTION 'engram.member_cap must name the plan''s member cap' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF v_cap <> 'unlimited'
     AND (SELECT count(*) FROM tenant_members m WHERE m.tenant_id = v_tenant) >= v_cap::bigint THEN
    RAISE EXCEPTION 'the tenant has reached its member cap' USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO tenant_members (tenant_id, user_id, role, workspaces)
    VALUES (v_tenant, p_user_id, v_invite.role, v_invite.workspaces);
  UPDATE tenant_invites SET accepted_at = now(), accepted_by = p_user_id WHERE id = p_invite;
  RETURN v_invite.role;
END
$$;

-- A password change: a member of the tenant the transaction names gets a new password hash, and its token version is
-- raised so that its other session tokens stop. Returns the new version; raises for a user without a password (an
-- external identity's) or outside the tenant.
CREATE FUNCTION set_password(p_user_id text, p_password_hash text)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = engram, pg_temp
AS $$
DECLARE
  v_version integer;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM tenant_members m
                 WHERE m.user_id = p_user_id AND m.tenant_id = current_setting('engram.tenant_id', true)) THEN
    RAISE EXCEPTION 'this user is not a member of this tenant' USING ERRCODE = 'insufficient_privilege';
  END IF;
  UPDATE users u SET password_hash = p_password_hash, token_version = u.token_version + 1
  WHERE u.id = p_user_id AND u.password_hash IS NOT NULL
  RETURNING u.token_version INTO v_version;
  IF v_version IS NULL THEN
    RAISE EXCEPTION 'this user has no password' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN v_version;
END
$$;

-- Removes a user who belongs to no tenant any more (a removed member, the members of a deleted tenant), with its
-- external identity links, so that its email can be invited or sign up again. True when it was removed.
CREATE FUNCTION forget_user_if_orphaned(p_user_id text)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = engram, pg_temp
AS $$
  WITH gone AS (
    DELETE FROM users u WHERE u.id = p_user_id
      AND NOT EXISTS (SELECT 1 FROM tenant_members m WHERE m.user_id = u.id)
    RETURNING 1)
  SELECT EXISTS (SELECT 1 FROM gone)
$$;

-- The operator's view across tenants (the operator routes and the audit verification): tenants in creation order
-- after the cursor tenant, with their member count and the head of their audit chain; one tenant by id or slug.
CREATE FUNCTION list_tenants(p_after text, p_limit integer)
RETURNS TABLE (id text, slug text, name text, plan text, status text, created_at timestamptz, members bigint,
               audit_seq bigint, audit_head text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = engram, pg_temp
AS $$
  SELECT t.id, t.slug, t.name, t.plan, t.status, t.created_at,
         (SELECT count(*) FROM tenant_members m WHERE m.tenant_id = t.id), t.audit_seq, t.audit_head
  FROM tenants t
  WHERE p_after IS NULL OR (t.created_at, t.id) > (SELECT c.created_at, c.id FROM tenants c WHERE c.id = p_after)
  ORDER BY t.created_at, t.id
  LIMIT least(greatest(p_limit, 1), 1000)
$$;

CREATE FUNCTION find_tenant(p_ref text)
RETURNS TABLE (id text, slug text, name text, plan text, status text, created_at timestamptz, members bigint,
               audit_seq bigint, audit_head text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = engram, pg_temp
AS $$
  SELECT t.id, t.slug, t.name, t.plan, t.status, t.created_at,
         (SELECT count(*) FROM tenant_members m WHERE m.tenant_id = t.id), t.audit_seq, t.audit_head
  FROM tenants t
  WHERE t.id = p_ref OR t.slug = p_ref
$$;

-- Keys that have expired and whose expiry is not in the audit log yet (the auth verticle's sweep), oldest first.
CREATE FUNCTION expired_api_keys(p_limit integer)
RETURNS TABLE (id text, tenant_id text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = engram, pg_temp
AS $$
  SELECT k.id, k.tenant_id FROM api_keys k
  WHERE k.expires_at <= now() AND k.expiry_audited_at IS NULL AND k.revoked_at IS NULL
  ORDER BY k.expires_at
  LIMIT least(greatest(p_limit, 1), 1000)
$$;

REVOKE ALL ON FUNCTION find_api_key(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION find_login(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION find_user(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION find_identity(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION find_invite(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION set_password(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION forget_user_if_orphaned(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION list_tenants(text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION find_tenant(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION expired_api_keys(integer) FROM PUBLIC;
