-- What the server's own role may do, applied by the owner after the migrations at every start ({app} is the
-- quoted role name of DATABASE_URL). It grants what the current schema needs, and revokes what earlier versions
-- granted and the schema no longer allows; row-level security decides which rows.
GRANT USAGE ON SCHEMA engram TO {app};
GRANT SELECT, INSERT ON engram.tenants TO {app};
-- Plan, slug, name and status changes, the head of the audit chain and a deletion's tombstone, in the tenant's own
-- transaction.
GRANT UPDATE (plan, updated_at, slug, name, status, audit_seq, audit_head, deleted_at) ON engram.tenants TO {app};
-- Memberships are added only through engram.add_member (V3, V4); a role or workspace change and a removal stay
-- inside the tenant the transaction names.
REVOKE INSERT, UPDATE ON engram.tenant_members FROM {app};
GRANT SELECT, DELETE ON engram.tenant_members TO {app};
GRANT UPDATE (role, workspaces) ON engram.tenant_members TO {app};
-- The members' emails and token versions, of the tenant the transaction names only (row-level security); never a
-- password hash. Users are written only through the definer functions.
GRANT SELECT (id, email, token_version, created_at) ON engram.users TO {app};
GRANT SELECT, INSERT, DELETE ON engram.workspaces TO {app};
-- The key hash is written once and never read back by the server (lookups go through find_api_key).
GRANT INSERT, DELETE ON engram.api_keys TO {app};
GRANT SELECT (id, tenant_id, name, prefix, scopes, created_by, created_at, expires_at, revoked_at, last_used_at,
              user_id, rotated_to, expiry_audited_at)
  ON engram.api_keys TO {app};
-- last_used_at is written in batches, at most once a minute per key (the auth verticle's flush).
GRANT UPDATE (revoked_at, last_used_at, expires_at, rotated_to, expiry_audited_at) ON engram.api_keys TO {app};
-- Invites: the token hash is written once and never read back (the invitee's lookup goes through find_invite);
-- acceptance is add_member's.
GRANT INSERT, DELETE ON engram.tenant_invites TO {app};
GRANT SELECT (id, tenant_id, email, role, workspaces, created_by, created_at, expires_at, accepted_at, accepted_by,
              revoked_at)
  ON engram.tenant_invites TO {app};
GRANT UPDATE (revoked_at) ON engram.tenant_invites TO {app};
GRANT SELECT, INSERT, DELETE ON engram.usage_daily TO {app};
GRANT UPDATE (api_calls, memories_created, searches) ON engram.usage_daily TO {app};
-- The audit log is append-only for the server: it may add entries and read them, never change or remove one.
REVOKE UPDATE, DELETE, TRUNCATE ON engram.audit_log FROM {app};
-- Usage folded from the spool (V5): written once per segment, tenant and day, never changed; deleted with its tenant.
GRANT SELECT, INSERT, DELETE ON engram.usage_events TO {app};
-- Billing (V5): the account row follows Stripe; events are recorded once.
GRANT SELECT, INSERT, UPDATE ON engram.billing_accounts TO {app};
GRANT SELECT, INSERT ON engram.billing_events TO {app};
GRANT SELECT, INSERT, DELETE ON engram.meter_reports TO {app};
GRANT UPDATE (reported, pending, pending_identifier) ON engram.meter_reports TO {app};
GRANT EXECUTE ON FUNCTION engram.paying_billing_accounts() TO {app};
GRANT SELECT, INSERT ON engram.audit_log TO {app};
GRANT EXECUTE ON FUNCTION engram.find_api_key(text) TO {app};
GRANT EXECUTE ON FUNCTION engram.find_login(text) TO {app};
GRANT EXECUTE ON FUNCTION engram.register_user(text, text, text) TO {app};
GRANT EXECUTE ON FUNCTION engram.find_identity(text, text) TO {app};
GRANT EXECUTE ON FUNCTION engram.register_external_user(text, text, text, text) TO {app};
GRANT EXECUTE ON FUNCTION engram.add_member(text, text) TO {app};
GRANT EXECUTE ON FUNCTION engram.release_unverified_email(text, text) TO {app};
GRANT EXECUTE ON FUNCTION engram.find_user(text) TO {app};
GRANT EXECUTE ON FUNCTION engram.find_invite(text) TO {app};
GRANT EXECUTE ON FUNCTION engram.set_password(text, text) TO {app};
GRANT EXECUTE ON FUNCTION engram.forget_user_if_orphaned(text) TO {app};
GRANT EXECUTE ON FUNCTION engram.list_tenants(text, integer) TO {app};
GRANT EXECUTE ON FUNCTION engram.find_tenant(text) TO {app};
GRANT EXECUTE ON FUNCTION engram.expired_api_keys(integer) TO {app};
