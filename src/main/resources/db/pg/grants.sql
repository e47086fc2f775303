-- What the server's own role may do, applied by the owner after the migrations at every start ({app} is the
-- quoted role name of DATABASE_URL). It grants what the current schema needs, and revokes what earlier versions
-- granted and the schema no longer allows; row-level security decides which rows.
GRANT USAGE ON SCHEMA engram TO {app};
GRANT SELECT, INSERT ON engram.tenants TO {app};
-- Memberships are read here, written only through engram.add_member (V3).
REVOKE INSERT, UPDATE, DELETE ON engram.tenant_members FROM {app};
GRANT SELECT ON engram.tenant_members TO {app};
GRANT SELECT, INSERT ON engram.workspaces TO {app};
-- The key hash is written once and never read back by the server (lookups go through find_api_key).
GRANT INSERT ON engram.api_keys TO {app};
GRANT SELECT (id, tenant_id, name, prefix, scopes, created_by, created_at, expires_at, revoked_at, last_used_at)
  ON engram.api_keys TO {app};
GRANT UPDATE (revoked_at, last_used_at) ON engram.api_keys TO {app};
GRANT SELECT, INSERT ON engram.usage_daily TO {app};
GRANT UPDATE (api_calls, memories_created, searches) ON engram.usage_daily TO {app};
-- Usage folded from the spool (V5): written once per segment, tenant and day, never changed.
GRANT SELECT, INSERT ON engram.usage_events TO {app};
-- Billing (V5): the account row follows Stripe; events are recorded once.
GRANT SELECT, INSERT, UPDATE ON engram.billing_accounts TO {app};
GRANT SELECT, INSERT ON engram.billing_events TO {app};
GRANT SELECT, INSERT ON engram.meter_reports TO {app};
GRANT UPDATE (reported, pending, pending_identifier) ON engram.meter_reports TO {app};
GRANT EXECUTE ON FUNCTION engram.paying_billing_accounts() TO {app};
GRANT SELECT, INSERT ON engram.audit_log TO {app};
GRANT EXECUTE ON FUNCTION engram.find_api_key(text) TO {app};
GRANT EXECUTE ON FUNCTION engram.find_login(text) TO {app};
GRANT EXECUTE ON FUNCTION engram.register_user(text, text, text) TO {app};
-- An operator's (or billing's) plan change, inside the tenant's own transaction.
GRANT UPDATE (plan, updated_at) ON engram.tenants TO {app};
GRANT EXECUTE ON FUNCTION engram.find_identity(text, text) TO {app};
GRANT EXECUTE ON FUNCTION engram.register_external_user(text, text, text, text) TO {app};
GRANT EXECUTE ON FUNCTION engram.add_member(text, text) TO {app};
GRANT EXECUTE ON FUNCTION engram.release_unverified_email(text, text) TO {app};
