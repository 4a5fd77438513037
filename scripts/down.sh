#!/usr/bin/env bash
# Stops the server `make up` started.
set -euo pipefail
data=$1
if [ -f "$data/server.pid" ] && kill -0 "$(cat "$data/server.pid")" 2>/dev/null; then
  pid=$(cat "$data/server.pid")
  kill "$pid"
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  echo "mlkube server stopped"
fi
rm -f "$data/server.pid"
