#!/usr/bin/env bash
# docs/runbooks/redis-down.md, run against a real server in three steps (RunbooksIT stops and starts Redis between
# them): "start" (a server with REDIS_URL), "outage" (Redis is down), "recovered" (Redis is back).
source "$(dirname "$0")/lib.sh"
DATA="$WORK/data"
: "${REDIS_URL:?}"
export ENGRAM_PUBLIC_URL="$URL"
case "$1" in
  start)
    start_server "$DATA"
    read -r TENANT KEY < <(signup)
    echo "$KEY" > key
    [ "$(metric engram_ratelimit_redis_up)" = 1.0 ] || fail "the server does not use Redis"
    ;;
  outage)
    KEY="$(cat key)"
    # --- the runbook ---
    curl -s "$URL/metrics" | grep -E '^engram_ratelimit_(redis_up|fallback_total)'
    curl -s -o /dev/null -w '%{http_code}\n' "$URL/v1/stats" -H "Authorization: Bearer $KEY"
    # --- checks ---
    redis_down() { [ "$(metric engram_ratelimit_redis_up)" = 0.0 ]; }
    eventually redis_down
    [ -n "$(remember "$KEY" "written while Redis is down")" ] || fail "writes stopped with Redis"
    ;;
  recovered)
    KEY="$(cat key)"
    # --- the runbook ---
    curl -s "$URL/metrics" | grep -E '^engram_ratelimit_(redis_up|fallback_total)'
    # --- checks ---
    redis_up() { [ "$(metric engram_ratelimit_redis_up)" = 1.0 ]; }
    eventually redis_up
    [ "$(total "$KEY")" = 1 ] || fail "the write made during the outage is missing"
    stop_server
    echo "redis-down: OK"
    ;;
esac
