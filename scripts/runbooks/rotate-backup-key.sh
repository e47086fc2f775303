#!/usr/bin/env bash
# docs/runbooks/rotate-backup-key.md, run against a real server: the master key is replaced; the backups written
# under the old one restore with the new one, and the old one no longer opens them.
source "$(dirname "$0")/lib.sh"
DATA="$WORK/data"; BACKUPS="$WORK/backups"; SCRATCH="$WORK/scratch"
export ENGRAM_BACKUP_KEY="$(openssl rand -base64 32)"
echo "{\"backup\": {\"local_dir\": \"$BACKUPS\", \"ship_seconds\": 1}}" > config.json
start_server "$DATA" --config config.json
read -r TENANT KEY < <(signup)
remember "$KEY" "kept across the rotation" > /dev/null
eventually has_snapshot "$BACKUPS" "$TENANT"

OLD="$ENGRAM_BACKUP_KEY"
# --- the runbook ---
export ENGRAM_BACKUP_KEY_OLD="$ENGRAM_BACKUP_KEY"
export ENGRAM_BACKUP_KEY="$(openssl rand -base64 32)"
java -jar engram-cloud.jar backup rotate-key --data-dir "$DATA" --config config.json
stop_server
start_server "$DATA" --config config.json
java -jar engram-cloud.jar restore --from "$BACKUPS" --at latest --tenant "$TENANT" --data-dir "$SCRATCH"
unset ENGRAM_BACKUP_KEY_OLD
# --- checks ---
[ -f "$SCRATCH/tenants/$TENANT/engram.db" ] || fail "the new key did not restore"
remember "$KEY" "written under the new key" > /dev/null
[ "$(total "$KEY")" = 2 ] || fail "the server does not write after the rotation"
if ENGRAM_BACKUP_KEY="$OLD" java -jar engram-cloud.jar restore --from "$BACKUPS" --at latest --tenant "$TENANT" \
    --data-dir "$WORK/with-old" 2> old.err; then
  fail "the old key still opens the backups"
fi
grep -q "wrong backup master key" old.err || fail "the old key was not refused by name: $(cat old.err)"
stop_server
echo "rotate-backup-key: OK"
