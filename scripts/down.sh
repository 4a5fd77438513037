#!/usr/bin/env bash
# Stops the server `make up` started.
set -euo pipefail
data=$1
if [ -f "$data/server.pid" ] && kill -0 "$(cat "$data/server.pid")" 2>/dev/null; then
  pid=$(cat "$data/server.pid")
  kill "$pid"
  # It finishes what is in flight (writes, watches, pod starts) first: give it time, so that a
  # `make up` right after finds the port free.
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "mlkube server (pid $pid) is still stopping; see $data/server.log" >&2
    exit 1
  fi
  echo "mlkube server stopped"
fi
rm -f "$data/server.pid"
