#!/usr/bin/env bash
# `make down`: drains the node (every pod is stopped, as `kubectl drain` does before maintenance;
# the objects stay, and their controllers' replacement pods wait while the node is cordoned),
# then stops the server, which with no pod left removes its bridge, rules and cgroups.
# `make up` uncordons the node and everything comes back.
# Usage: scripts/down.sh DATA_DIR
set -euo pipefail
data=$1
export KUBECONFIG=$data/kubeconfig
if [ -f "$data/server.pid" ] && kill -0 "$(cat "$data/server.pid")" 2>/dev/null; then
  pid=$(cat "$data/server.pid")
  for node in $(kubectl get nodes -o name); do
    kubectl drain "$node" --ignore-daemonsets --delete-emptydir-data --force --timeout=120s >/dev/null ||
      echo "make down: draining $node failed; its pods keep running" >&2
  done
  kill "$pid"
  # It finishes what is in flight (writes, watches, pod stops) first: give it time, so that a
  # `make up` right after finds the port free.
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "mlkube server (pid $pid) is still stopping; see $data/server.log" >&2
    exit 1
  fi
  echo "mlkube server stopped; the node was drained (make up brings its pods back)"
fi
rm -f "$data/server.pid"
