#!/usr/bin/env bash
# docs/runbooks/rotate-jwt-key.md, run against a real server: the built-in signing key is replaced; tokens signed
# by the old key stop working at once, new sign-ins get tokens of the new key, API keys are unaffected.
source "$(dirname "$0")/lib.sh"
DATA="$WORK/data"
start_server "$DATA"
EMAIL="ops-$RANDOM@example.com"
KEY="$(curl -sf "$URL/v1/signup" -H "$H" -d "{\"email\":\"$EMAIL\",\"password\":\"correct horse battery\",\"tenant_name\":\"Ops\"}" \
  | sed -E 's/.*"api_key":"([^"]+)".*/\1/')"
OLD_TOKEN="$(curl -sf "$URL/v1/auth/token" -H "$H" -d "{\"email\":\"$EMAIL\",\"password\":\"correct horse battery\"}" \
  | sed -E 's/.*"access_token":"([^"]+)".*/\1/')"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/v1/stats" -H "Authorization: Bearer $OLD_TOKEN")" = 200 ] \
  || fail "the token did not work before the rotation"
OLD_KID="$(curl -sf "$URL/.well-known/jwks.json" | sed -E 's/.*"kid":"([^"]+)".*/\1/')"

# --- the runbook ---
stop_server
mv "$DATA/keys/jwt-signing-key.json" "$DATA/keys/jwt-signing-key.json.retired"
start_server "$DATA"
curl -s "$URL/.well-known/jwks.json"
# --- checks ---
NEW_KID="$(curl -sf "$URL/.well-known/jwks.json" | sed -E 's/.*"kid":"([^"]+)".*/\1/')"
[ "$NEW_KID" != "$OLD_KID" ] || fail "the JWKS still publishes the old key"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/v1/stats" -H "Authorization: Bearer $OLD_TOKEN")" = 401 ] \
  || fail "a token of the old key still works"
NEW_TOKEN="$(curl -sf "$URL/v1/auth/token" -H "$H" -d "{\"email\":\"$EMAIL\",\"password\":\"correct horse battery\"}" \
  | sed -E 's/.*"access_token":"([^"]+)".*/\1/')"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/v1/stats" -H "Authorization: Bearer $NEW_TOKEN")" = 200 ] \
  || fail "a new sign-in does not work"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/v1/stats" -H "Authorization: Bearer $KEY")" = 200 ] \
  || fail "the API key stopped working"
stop_server
echo "rotate-jwt-key: OK"
