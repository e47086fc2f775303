#!/bin/sh
# Runs the server as the unprivileged engram user. Fly (like Docker for a bind mount) mounts the volume owned by
# root, so while still root: make the data directory the server's own (0700), then drop to engram for good.
set -eu
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$ENGRAM_DATA_DIR"
  chown engram:engram "$ENGRAM_DATA_DIR"
  chmod 700 "$ENGRAM_DATA_DIR"
  exec setpriv --reuid=engram --regid=engram --init-groups "$@"
fi
exec "$@"
