#!/usr/bin/env bash
# Starts `mlkube server` in the background on DATA and waits until it is ready.
# Usage: scripts/up.sh BINARY DATA_DIR LISTEN
set -euo pipefail
bin=$1 data=$2 listen=$3
mkdir -p "$data"
if [ -f "$data/server.pid" ] && kill -0 "$(cat "$data/server.pid")" 2>/dev/null; then
  echo "mlkube server already running (pid $(cat "$data/server.pid"))"
else
  nohup "$bin" server --data-dir "$data" --listen "$listen" >"$data/server.log" 2>&1 &
  echo $! >"$data/server.pid"
  for _ in $(seq 1 100); do
    curl -skf "https://$listen/readyz" >/dev/null 2>&1 && break
    kill -0 "$(cat "$data/server.pid")" 2>/dev/null || { cat "$data/server.log"; exit 1; }
    sleep 0.1
  done
fi
cat <<MSG
mlkube is up: https://$listen (log: $data/server.log)

  export KUBECONFIG=$data/kubeconfig
  kubectl get nodes

Stop it with: make down
MSG
