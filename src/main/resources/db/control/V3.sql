-- Teams, key lifecycle, a hash-chained audit log and tenant lifecycle (mirrored by db/pg/V4.sql).

-- A tenant's slug: unique, URL-safe (checked by the server: 3–40 of a-z, 0-9 and inner hyphens). Existing tenants
-- get their id with the underscore as a hyphen (tn_abc… → tn-abc…), unique because ids are; owners may change it.
-- A deleted tenant keeps its row (status 'deleted', its audit chain's head) and gives its slug up (NULL).
ALTER TABLE tenants ADD COLUMN slug TEXT;
UPDATE tenants SET slug = replace(id, '_', '-');
CREATE UNIQUE INDEX idx_tenants_slug ON tenants(slug);
-- The head of the tenant's audit chain: its last entry's position and hash, so a removed last entry shows too.
ALTER TABLE tenants ADD COLUMN audit_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN audit_head TEXT;
ALTER TABLE tenants ADD COLUMN deleted_at TEXT;

-- Raised by a password change: session tokens carry the version they were issued under, older ones stop.
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;

-- A member may be restricted to workspaces (a JSON array of names; NULL: every workspace).
ALTER TABLE tenant_members ADD COLUMN workspaces TEXT;
-- There is at most one owner (and the server keeps exactly one: ownership moves only by transfer).
CREATE UNIQUE INDEX idx_tenant_members_one_owner ON tenant_members(tenant_id) WHERE role = 'owner';

-- The member whose rights bound a key: the user who made it (or whose key made it). Existing keys: their maker when
-- that is a member, else the tenant's owner.
ALTER TABLE api_keys ADD COLUMN user_id TEXT;
UPDATE api_keys SET user_id = COALESCE(
  (SELECT m.user_id FROM tenant_members m WHERE m.tenant_id = api_keys.tenant_id AND m.user_id = api_keys.created_by),
  (SELECT m.user_id FROM tenant_members m WHERE m.tenant_id = api_keys.tenant_id AND m.role = 'owner'));
CREATE INDEX idx_api_keys_user ON api_keys(tenant_id, user_id);
-- Rotation: the key that replaced this one (this one then expires at the end of the overlap).
ALTER TABLE api_keys ADD COLUMN rotated_to TEXT;
-- When the key's expiry was written to the audit log (once).
ALTER TABLE api_keys ADD COLUMN expiry_audited_at TEXT;
CREATE INDEX idx_api_keys_expiry ON api_keys(expires_at) WHERE expires_at IS NOT NULL AND expiry_audited_at IS NULL;

CREATE TABLE tenant_invites (
  id           TEXT PRIMARY KEY,
  tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  email        TEXT NOT NULL COLLATE NOCASE,
  role         TEXT NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
  workspaces   TEXT,
  token_hash   TEXT NOT NULL UNIQUE,
  created_by   TEXT,
  created_at   TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  accepted_at  TEXT,
  accepted_by  TEXT,
  revoked_at   TEXT
);
CREATE INDEX idx_tenant_invites_tenant ON tenant_invites(tenant_id, created_at);

-- The audit chain: each entry's position in its tenant's chain, the hash of the previous entry and its own hash
-- (SHA-256 over the previous hash and a canonical encoding of the entry; see controlplane/AuditChain). Entries
-- written before this version have no position or hash: they stay, ahead of the chain.
ALTER TABLE audit_log ADD COLUMN seq INTEGER;
ALTER TABLE audit_log ADD COLUMN ip TEXT;
ALTER TABLE audit_log ADD COLUMN user_agent TEXT;
ALTER TABLE audit_log ADD COLUMN request_id TEXT;
ALTER TABLE audit_log ADD COLUMN outcome TEXT NOT NULL DEFAULT 'ok';
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX idx_audit_log_seq ON audit_log(tenant_id, seq);
