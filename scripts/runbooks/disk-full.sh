#!/usr/bin/env bash
# docs/runbooks/disk-full.md, run against a real server: the diagnosis commands answer, and moving the local backup
# target off the data volume (the first thing to free) keeps backups working. A full disk itself is not made here.
source "$(dirname "$0")/lib.sh"
DATA="$WORK/data"; NEW_BACKUPS="$WORK/other-volume/backups"
export ENGRAM_BACKUP_KEY="${ENGRAM_BACKUP_KEY:-$(openssl rand -base64 32)}"
start_server "$DATA"
read -r TENANT KEY < <(signup)
remember "$KEY" "a memory on the full volume" > /dev/null
eventually has_snapshot "$DATA/backups" "$TENANT"

# --- the runbook ---
df -h "$DATA"
du -sh "$DATA"/tenants "$DATA"/backups "$DATA"/uploads
curl -s "$URL/metrics" | grep -E '^(disk_free_bytes|disk_total_bytes|engram_backup_shipping_lag_seconds)'
stop_server
mkdir -p "$NEW_BACKUPS" && mv "$DATA/backups"/* "$NEW_BACKUPS"/ && rm -r "$DATA/backups"
echo "{\"backup\": {\"local_dir\": \"$NEW_BACKUPS\"}}" > config.json
start_server "$DATA" --config config.json
# --- checks ---
[ ! -e "$DATA/backups" ] || fail "the backups are still on the data volume"
remember "$KEY" "after the move" > /dev/null
java -jar engram-cloud.jar restore --from "$NEW_BACKUPS" --at latest --tenant "$TENANT" --data-dir "$WORK/check" \
  | grep -q "2 memories" || fail "the moved backups do not restore the tenant whole"
stop_server
echo "disk-full: OK"
