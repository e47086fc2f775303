-- Memberships are no longer written by the server's role (grants.sql revokes its INSERT on tenant_members): a
-- transaction that named tenant A could add any existing user to A — as its owner, with an old created_at — and that
-- user's next sign-in, which picks the oldest membership, would land in A. Memberships are now added only by
-- add_member below, which checks that the user may join, and created_at is the owner's default, never the server's.

-- The owner's definer functions below also release an email (an UPDATE of users) and audit that in the tenants of
-- the user who loses it (rows of tenants other than the transaction's). FORCE binds the owner too: exactly these
-- two policies, for the owner only.
DO $$
BEGIN
  EXECUTE format('CREATE POLICY definer_update ON users FOR UPDATE TO %I USING (true) WITH CHECK (true)', current_user);
  EXECUTE format('CREATE POLICY definer_insert ON audit_log FOR INSERT TO %I WITH CHECK (true)', current_user);
END
$$;

-- Adds p_user_id to the tenant the transaction names (engram.tenant_id; never a parameter, so a caller can only ever
-- add to the tenant it is acting in) and returns the role given. Allowed:
--   * the founding owner of a sign-up: the tenant has no member yet, the user belongs to no tenant yet, and both rows
--     were written by this very transaction (their xmin is its id); the role is 'owner';
--   * an invite (the invite flow, to come): p_invite will name an invite of this tenant that the user accepts, and the
--     role will be the invite's. There are no invites yet, so any non-NULL p_invite is refused.
-- Anything else raises insufficient_privilege and writes nothing: an existing user cannot be pulled into a tenant,
-- and an existing tenant cannot be handed to a new user.
CREATE FUNCTION add_member(p_user_id text, p_invite text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = engram, pg_temp
AS $$
DECLARE
  v_tenant text := current_setting('engram.tenant_id', true);
  v_xid text := (txid_current() % 4294967296)::text;
BEGIN
  IF p_invite IS NOT NULL THEN
    RAISE EXCEPTION 'no invite can be accepted yet' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF v_tenant IS NULL OR v_tenant = ''
     OR NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = v_tenant AND t.xmin::text = v_xid)
     OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = p_user_id AND u.xmin::text = v_xid)
     OR EXISTS (SELECT 1 FROM tenant_members m WHERE m.tenant_id = v_tenant)
     OR EXISTS (SELECT 1 FROM tenant_members m WHERE m.user_id = p_user_id) THEN
    RAISE EXCEPTION 'this user may not be added to this tenant' USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO tenant_members (tenant_id, user_id, role) VALUES (v_tenant, p_user_id, 'owner');
  RETURN 'owner';
END
$$;

-- Sign-in by email: as in V1, with ties on created_at broken by tenant id (created_at is only ever the owner's now()).
CREATE OR REPLACE FUNCTION find_login(p_email text)
RETURNS TABLE (user_id text, email text, password_hash text, tenant_id text, role text, tenant_status text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = engram, pg_temp
AS $$
  SELECT u.id, u.email, u.password_hash, m.tenant_id, m.role, t.status
  FROM users u
  JOIN tenant_members m ON m.user_id = u.id
  JOIN tenants t ON t.id = m.tenant_id
  WHERE lower(u.email) = lower(p_email)
  ORDER BY m.created_at, m.tenant_id
  LIMIT 1
$$;

-- A verified external identity wins over an unverified password account. Password sign-ups do not prove they own
-- their email, so before a token sign-up whose issuer verified p_email, the email is taken from the user who holds it
-- if that user signed up with a password and has no external identity. That user keeps its tenants, memberships and
-- API keys, but can no longer sign in with the email; each of its tenants gets a 'user.email_released' audit line.
-- Returns that user's id, or NULL when nobody (or a user with an external identity) holds the email.
CREATE FUNCTION release_unverified_email(p_email text, p_issuer text)
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
  IF v_user IS NOT NULL THEN
    INSERT INTO audit_log (tenant_id, actor, action, target, details)
    SELECT m.tenant_id, NULL, 'user.email_released', v_user,
           jsonb_build_object('reason', 'claimed by a verified external identity', 'issuer', p_issuer)
    FROM tenant_members m WHERE m.user_id = v_user;
  END IF;
  RETURN v_user;
END
$$;

REVOKE ALL ON FUNCTION add_member(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION release_unverified_email(text, text) FROM PUBLIC;
