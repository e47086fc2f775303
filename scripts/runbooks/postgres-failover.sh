#!/usr/bin/env bash
# docs/runbooks/postgres-failover.md, run against a real server in three steps (RunbooksIT refuses and drops the
# database's connections between them, as a failover does, then lets them in again): "start", "outage", "recovered".
source "$(dirname "$0")/lib.sh"
DATA="$WORK/data"
: "${DATABASE_URL:?}"
export ENGRAM_PUBLIC_URL="$URL"
case "$1" in
  start)
    start_server "$DATA"
    read -r TENANT KEY < <(signup)
    echo "$KEY" > key
    remember "$KEY" "before the failover" > /dev/null
    ;;
  outage)
    KEY="$(cat key)"
    # --- the runbook ---
    curl -s -o /dev/null -w '%{http_code}\n' "$URL/health/ready"
    curl -s -o /dev/null -w '%{http_code}\n' "$URL/v1/stats" -H "Authorization: Bearer $KEY"
    # --- checks ---
    not_ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/health/ready")" = 503 ]; }
    eventually not_ready
    code="$(curl -s -o /dev/null -w '%{http_code}' "$URL/v1/signup" -H "$H" \
      -d '{"email":"during-outage@example.com","password":"correct horse battery","tenant_name":"X"}')"
    [ "$code" -ge 500 ] || fail "a sign-up during the outage answered $code"
    ;;
  recovered)
    KEY="$(cat key)"
    # --- the runbook ---
    curl -s -o /dev/null -w '%{http_code}\n' "$URL/health/ready"
    # --- checks ---
    ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/health/ready")" = 200 ]; }
    eventually ready
    read -r OTHER OTHER_KEY < <(signup)
    [ -n "$OTHER_KEY" ] || fail "sign-up does not work after the failover"
    remember "$KEY" "after the failover" > /dev/null
    [ "$(total "$KEY")" = 2 ] || fail "writes do not work after the failover"
    stop_server
    echo "postgres-failover: OK"
    ;;
esac
