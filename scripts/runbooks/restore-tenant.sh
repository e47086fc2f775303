#!/usr/bin/env bash
# docs/runbooks/restore-tenant.md, run against a real server: a tenant's memories are deleted by mistake; the
# tenant is restored to the second before, alone, while the other tenants keep theirs.
source "$(dirname "$0")/lib.sh"
DATA="$WORK/data"; BACKUPS="$WORK/backups"; SCRATCH="$WORK/scratch"
export ENGRAM_BACKUP_KEY="${ENGRAM_BACKUP_KEY:-$(openssl rand -base64 32)}"
echo "{\"backup\": {\"local_dir\": \"$BACKUPS\", \"ship_seconds\": 1}}" > config.json
start_server "$DATA" --config config.json
read -r TENANT KEY < <(signup)
read -r OTHER OTHER_KEY < <(signup)
ID="$(remember "$KEY" "the fact that must come back")"
remember "$OTHER_KEY" "another tenant's fact" > /dev/null
eventually has_snapshot "$BACKUPS" "$TENANT"
AT="$(instant_between)"
curl -sf -X DELETE "$URL/v1/memories/$ID" -H "Authorization: Bearer $KEY"   # the mistake
remember "$OTHER_KEY" "written after the mistake" > /dev/null
[ "$(total "$KEY")" = 0 ] || fail "the mistake did not happen"

# --- the runbook ---
java -jar engram-cloud.jar restore --from "$BACKUPS" --at "$AT" --tenant "$TENANT" --data-dir "$SCRATCH"
stop_server
mv "$DATA/tenants/$TENANT" "$DATA/tenants/$TENANT.before-restore"
mv "$SCRATCH/tenants/$TENANT" "$DATA/tenants/$TENANT"
start_server "$DATA" --config config.json
curl -s "$URL/v1/memories?limit=5" -H "Authorization: Bearer $KEY"
# --- checks ---
[ "$(total "$KEY")" = 1 ] || fail "the tenant was not restored"
curl -sf "$URL/v1/memories/$ID" -H "Authorization: Bearer $KEY" | grep -q "the fact that must come back" \
  || fail "the deleted memory did not come back"
[ "$(total "$OTHER_KEY")" = 2 ] || fail "the other tenant lost data"
curl -sf "$URL/v1/backups" -H "Authorization: Bearer $KEY" | grep -q '"verified":true' || fail "no snapshot listed"
stop_server
echo "restore-tenant: OK"
