#!/usr/bin/env bash
# `make up`: starts `mlkube server` on DATA_DIR (or finds it running), applies the example ML
# stack (examples/quickstart), waits until the model is trained and served, and prints a
# prediction made through the Service.
# Usage: scripts/up.sh BINARY DATA_DIR LISTEN
# MLKUBE_SERVER_FLAGS adds flags to the server (tests use it for a bridge and cgroup of their own).
set -euo pipefail
bin=$1 data=$2 listen=$3
root=$(cd "$(dirname "$0")/.." && pwd)
start=$(date +%s%N)
mkdir -p "$data"
export KUBECONFIG=$data/kubeconfig
if [ -f "$data/server.pid" ] && kill -0 "$(cat "$data/server.pid")" 2>/dev/null; then
  echo "mlkube server already running (pid $(cat "$data/server.pid"))"
else
  # shellcheck disable=SC2086  # the flags are words
  nohup "$bin" server --data-dir "$data" --listen "$listen" ${MLKUBE_SERVER_FLAGS:-} >>"$data/server.log" 2>&1 &
  echo $! >"$data/server.pid"
  # Ready when its kubeconfig is written and the address answers; a server that exits (a port
  # already taken, say) is reported rather than mistaken for whatever else answers there.
  for _ in $(seq 1 200); do
    kill -0 "$(cat "$data/server.pid")" 2>/dev/null || { tail -20 "$data/server.log"; rm -f "$data/server.pid"; exit 1; }
    [ -f "$KUBECONFIG" ] && curl -skf "https://$listen/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  kill -0 "$(cat "$data/server.pid")" 2>/dev/null || { tail -20 "$data/server.log"; rm -f "$data/server.pid"; exit 1; }
  echo "mlkube server started (pid $(cat "$data/server.pid"), log $data/server.log)"
fi

fail() {
  echo "make up: $1" >&2
  kubectl get pods -o wide >&2 || true
  kubectl get events --sort-by=.lastTimestamp >&2 | tail -20 || true
  exit 1
}
kubectl wait --for=condition=Ready node --all --timeout=60s >/dev/null || fail "the node did not become Ready"
# `make down` drained the node; its pods come back now.
kubectl uncordon $(kubectl get nodes -o name) >/dev/null
# A fresh prediction each time: the client Job runs again.
kubectl delete job predict --ignore-not-found --wait=true >/dev/null
kubectl apply -k "$root/examples/quickstart"
echo "training (kubectl logs -f job/train) ..."
kubectl wait --for=condition=complete job/train --timeout=600s >/dev/null || fail "training did not complete"
kubectl rollout status deployment/model-server --timeout=300s >/dev/null || fail "the model server did not become available"
kubectl wait --for=condition=complete job/predict --timeout=300s >/dev/null || fail "the prediction client did not complete"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))

cat <<MSG

The example ML stack is up: a model trained by job/train, served by deployment/model-server
(2 replicas, autoscaled by hpa/model-server) behind service/model-service. A client in the
cluster called http://model-service/predict:

$(kubectl logs job/predict | sed 's/^/  /')

Ready in $((elapsed_ms / 1000)).$((elapsed_ms % 1000 / 100)) s. Try:

  export KUBECONFIG=$KUBECONFIG
  kubectl get pods,svc,pvc,hpa
  kubectl logs job/train                      # the training run, epoch by epoch
  kubectl top pods
  kubectl scale deployment/model-server --replicas=3
  kubectl create job retrain --from=cronjob/retrain   # after: kubectl apply -f examples/retraining-cronjob
  kubectl describe pod -l app=model-server

Stop it with: make down   (the cluster's state stays in $data; make up brings it back)
MSG
