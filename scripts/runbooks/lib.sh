# Shared by the runbook scripts (sourced). The scripts run each runbook's commands, verbatim, against a real server
# (the jar, as a child process), so that a runbook that drifts from the code fails CI (RunbooksIT). Only the glue
# here differs from what an operator does: starting and stopping the server is however you run it (systemd, Fly).
set -euo pipefail
: "${ENGRAM_JAR:?ENGRAM_JAR must name the built jar}"
WORK="${WORK:-$(mktemp -d)}"
cd "$WORK"
ln -sf "$ENGRAM_JAR" engram-cloud.jar
PORT="${PORT:-18080}"
URL="http://127.0.0.1:$PORT"
H='Content-Type: application/json'

fail() { echo "RUNBOOK CHECK FAILED: $*" >&2; exit 1; }

# A step that fails stops the server it started (a step that succeeds may leave it to the next step).
on_exit() {
  local status=$?
  if [ "$status" != 0 ] && [ -f "$WORK/server.pid" ]; then kill -KILL "$(cat "$WORK/server.pid")" 2> /dev/null || true; fi
}
trap on_exit EXIT

# glue: start the jar in the background on $1 (a data directory) and wait until it is ready
start_server() {
  local data="$1"; shift
  java -jar engram-cloud.jar --port "$PORT" --data-dir "$data" "$@" >> "$WORK/server.log" 2>&1 &
  echo $! > "$WORK/server.pid"
  wait_ready
}

# glue: wait until the server started last (its pid in server.pid) answers /health/ready
wait_ready() {
  for _ in $(seq 1 240); do
    if curl -sf "$URL/health/ready" > /dev/null; then return 0; fi
    kill -0 "$(cat "$WORK/server.pid")" 2> /dev/null || { tail -20 "$WORK/server.log"; fail "the server exited"; }
    sleep 0.5
  done
  fail "the server did not become ready"
}

# glue: stop it gracefully (SIGTERM), as systemd or Fly would
stop_server() {
  local pid; pid="$(cat "$WORK/server.pid")"
  kill -TERM "$pid"
  wait "$pid" 2> /dev/null || true
}

# A new tenant: prints its id and its API key (sign-up).
signup() {
  local answer
  answer="$(curl -sf "$URL/v1/signup" -H "$H" -d "{\"email\":\"ops-$RANDOM$RANDOM@example.com\",\"password\":\"correct horse battery\",\"tenant_name\":\"Ops\"}")"
  echo "$(echo "$answer" | sed -E 's/.*"tenant_id":"([^"]+)".*/\1/') $(echo "$answer" | sed -E 's/.*"api_key":"([^"]+)".*/\1/')"
}

has_snapshot() { ls "$1"/tenants/"$2"/snapshots/*/manifest.json > /dev/null 2>&1; }

# The next whole second (RFC 3339) after now, once the clock has passed it: an instant between two writes.
instant_between() {
  local at=$(( $(date -u +%s) + 1 ))
  while [ "$(date -u +%s)" -le "$at" ]; do sleep 0.1; done
  date -u -d "@$at" +%Y-%m-%dT%H:%M:%SZ
}

remember() { # key, content -> id
  curl -sf "$URL/v1/memories" -H "Authorization: Bearer $1" -H "$H" -d "{\"content\":\"$2\"}" \
    | sed -E 's/.*"id":([0-9]+).*/\1/'
}

total() { # key -> number of memories
  curl -sf "$URL/v1/stats" -H "Authorization: Bearer $1" | sed -E 's/.*"total_memories":([0-9]+).*/\1/'
}

metric() { # name -> value of its first sample
  curl -sf "$URL/metrics" | grep -E "^$1( |\{)" | head -1 | awk '{print $NF}'
}

# Waits (up to a minute) until a command succeeds.
eventually() {
  for _ in $(seq 1 120); do
    if "$@"; then return 0; fi
    sleep 0.5
  done
  fail "timed out waiting for: $*"
}
