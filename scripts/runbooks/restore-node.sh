#!/usr/bin/env bash
# docs/runbooks/restore-node.md, run against a real server: the data volume is lost; a new node is restored from
# the backups alone and answers every tenant's existing keys with its data.
source "$(dirname "$0")/lib.sh"
DATA="$WORK/data"; BACKUPS="$WORK/backups"; NEW_DATA="$WORK/new-data"
export ENGRAM_BACKUP_KEY="${ENGRAM_BACKUP_KEY:-$(openssl rand -base64 32)}"
echo "{\"backup\": {\"local_dir\": \"$BACKUPS\", \"ship_seconds\": 1}}" > config.json
start_server "$DATA" --config config.json
read -r A A_KEY < <(signup)
read -r B B_KEY < <(signup)
remember "$A_KEY" "alpha one" > /dev/null
remember "$B_KEY" "bravo one" > /dev/null
eventually has_snapshot "$BACKUPS" "$A"
eventually has_snapshot "$BACKUPS" "$B"
remember "$A_KEY" "alpha two, only in the change log" > /dev/null
kill -KILL "$(cat server.pid)"; wait "$(cat server.pid)" 2> /dev/null || true   # the node dies
rm -rf "$DATA"                                                                    # with its disk

# --- the runbook ---
java -jar engram-cloud.jar restore --from "$BACKUPS" --at latest --data-dir "$NEW_DATA"
java -jar engram-cloud.jar --data-dir "$NEW_DATA" --port "$PORT" --config config.json >> server.log 2>&1 &
echo $! > server.pid; wait_ready
curl -s "$URL/v1/stats" -H "Authorization: Bearer $A_KEY"
# --- checks ---
[ "$(total "$A_KEY")" = 2 ] || fail "tenant A was not restored whole"
[ "$(total "$B_KEY")" = 1 ] || fail "tenant B was not restored"
stop_server
echo "restore-node: OK"
