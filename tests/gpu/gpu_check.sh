#!/usr/bin/env bash
# GPU check for the node agent, run on the GPU machine from the bundle (tests/gpu/bundle.sh):
#   NVML reports the real GPU on the Node; a pod asking for it sees it from nvidia-smi and
#   PyTorch; a pod without a request sees none; cgroup v2 limits apply to the pod; a GPU-busy
#   pod's real utilisation shows in the agent's /metrics and as its gpu_utilization metric; the
#   gpu-training example runs on the GPU.
# Usage (on the GPU machine): gpu-bundle/gpu_check.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH="$here/lib:/usr/local/nvidia/lib64:${LD_LIBRARY_PATH:-}"
data=$(mktemp -d)
fail=0
check() { if eval "$2"; then echo "PASS $1"; else echo "FAIL $1"; fail=1; fi; }
"$here/mlkube" server --data-dir "$data" --listen 127.0.0.1:16443 --node-name gpu-node --metric-resolution 1s >"$data/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do [ -f "$data/kubeconfig" ] && curl -skf https://127.0.0.1:16443/readyz >/dev/null && break; sleep 0.1; done
api() { curl -sk -H "Authorization: Bearer $(cat "$data/pki/admin.token")" -H 'Content-Type: application/json' "$@"; }
base=https://127.0.0.1:16443/api/v1
sleep 1
node=$(api $base/nodes/gpu-node)
echo "$node" | python3 -c 'import json,sys; n=json.load(sys.stdin); print("capacity:", n["status"]["capacity"]); print("labels:", {k:v for k,v in n["metadata"]["labels"].items() if "nvidia" in k})'
gpus=$(echo "$node" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["capacity"].get("nvidia.com/gpu","0"))')
check "NVML reports a GPU on the Node" '[ "$gpus" -ge 1 ]'
check "the Node carries the GPU product label" 'echo "$node" | grep -q "nvidia.com/gpu.product"'
py=/opt/torch/.venv/bin/python
[ -x "$py" ] || py=$(command -v python3)
probe=$(cat <<'PY'
import os, time, torch
print("torch sees", torch.cuda.device_count())
if torch.cuda.device_count():
    print("device", torch.cuda.get_device_name(0))
    x = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    torch.cuda.synchronize(); t = time.time(); y = x @ x; torch.cuda.synchronize()
    print("matmul ok: %.0f TFLOP/s" % (2 * 8192**3 / (time.time() - t) / 1e12))
PY
)
pod() {  # name, GPU count, shell command; $PROBE holds the PyTorch probe
  PROBE=$probe python3 -c 'import json,os,sys; name,gpus,cmd=sys.argv[1:]; print(json.dumps({"apiVersion":"v1",
    "kind":"Pod","metadata":{"name":name},"spec":{"restartPolicy":"Never","containers":[{"name":"main",
    "image":"cuda","command":["sh","-c",cmd],"env":[{"name":"PROBE","value":os.environ["PROBE"]}],
    "resources":{"limits":{"memory":"4Gi","nvidia.com/gpu":gpus}}}]}}))' "$@" |
    api -X POST $base/namespaces/default/pods -d @- >/dev/null
}
cgroup_max='cat /sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)/memory.max'
pod with-gpu 1 "echo CUDA_VISIBLE_DEVICES=\$CUDA_VISIBLE_DEVICES; nvidia-smi -L; $py -c \"\$PROBE\"; $cgroup_max"
pod without-gpu 0 "echo CUDA_VISIBLE_DEVICES=\$CUDA_VISIBLE_DEVICES; $py -c \"\$PROBE\""
started=$(date +%s.%N)
limit=120; [ "$gpus" -ge 1 ] || limit=20  # a missing GPU leaves with-gpu Pending
for _ in $(seq $limit); do
  phases=$(api "$base/namespaces/default/pods" | python3 -c 'import json,sys; print(" ".join(p["status"].get("phase","") for p in json.load(sys.stdin)["items"]))')
  case "$phases" in *Pending*|*Running*|"") sleep 1 ;; *) break ;; esac
done
elapsed=$(python3 -c "import time; print(round(time.time() - $started, 1))")
with=$(api "$base/namespaces/default/pods/with-gpu/log"); without=$(api "$base/namespaces/default/pods/without-gpu/log")
echo "--- with-gpu:"; echo "$with"; echo "--- without-gpu:"; echo "$without"
uuid=$(nvidia-smi -L | grep -o 'GPU-[0-9a-f-]*' | head -1)
check "the pod with a GPU is given its UUID" 'echo "$with" | grep -q "^CUDA_VISIBLE_DEVICES=$uuid$"'
check "the pod with a GPU sees it in nvidia-smi" 'echo "$with" | grep -q "^GPU 0"'
check "the pod with a GPU computes on it" 'echo "$with" | grep -q "^matmul ok"'
check "the pod with a GPU sees it from PyTorch" 'echo "$with" | grep -q "torch sees 1"'
check "the pod without a request sees none" 'echo "$without" | grep -q "torch sees 0"'
check "cgroup v2 memory limit applies in the pod" 'echo "$with" | grep -q "^4294967296$"'
echo "both pods finished within $elapsed s of creation"
[ $fail = 0 ] || { api "$base/namespaces/default/pods" | python3 -c 'import json,sys; [print(p["metadata"]["name"], json.dumps(p["status"])[:600]) for p in json.load(sys.stdin)["items"]]'; tail -30 "$data/server.log"; }
api -X DELETE "$base/namespaces/default/pods" >/dev/null
sleep 2

# Metrics: a pod keeping the GPU busy shows its real utilisation, read through NVML, per GPU and
# per pod in the agent's /metrics and as the pod's gpu_utilization custom metric (what an HPA reads).
busy=$(cat <<'PY'
import time, torch
x = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
end = time.time() + 90
while time.time() < end:
    y = x @ x
    torch.cuda.synchronize()
PY
)
probe=$busy pod gpu-busy 1 "$py -c \"\$PROBE\""
util=0; pod_util=0; custom=0
for _ in $(seq 60); do
  metrics=$(api https://127.0.0.1:16443/api/v1/nodes/gpu-node/proxy/metrics)
  util=$(echo "$metrics" | awk '/^mlkube_gpu_utilization_percent\{/ {print int($NF); exit}')
  pod_util=$(echo "$metrics" | awk '/^mlkube_pod_gpu_utilization_percent\{namespace="default",pod="gpu-busy"\}/ {print int($NF); exit}')
  custom=$(api https://127.0.0.1:16443/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/gpu-busy/gpu_utilization |
    python3 -c 'import json,sys; i=json.load(sys.stdin).get("items") or [{}]; print(int(float(i[0].get("value","0").rstrip("m") or 0) / (1000 if i[0].get("value","").endswith("m") else 1)))' 2>/dev/null)
  [ "${util:-0}" -gt 50 ] && [ "${pod_util:-0}" -gt 50 ] && [ "${custom:-0}" -gt 50 ] && break
  sleep 1
done
echo "GPU utilisation: node metric ${util:-none} %, pod metric ${pod_util:-none} %, custom metric ${custom:-none} %"
echo "$metrics" | grep '^mlkube_' | head -10
check "the agent's /metrics shows the busy GPU's utilisation" '[ "${util:-0}" -gt 50 ]'
check "the agent's /metrics shows the pod's GPU utilisation" '[ "${pod_util:-0}" -gt 50 ]'
check "custom.metrics.k8s.io serves the pod's gpu_utilization" '[ "${custom:-0}" -gt 50 ]'
api -X DELETE "$base/namespaces/default/pods" >/dev/null
sleep 2

# The gpu-training example, as a user applies it, with the GPU machine's PyTorch.
export KUBECONFIG=$data/kubeconfig
kubectl kustomize "$here/gpu-training" | sed "s|command: \[python3,|command: [$py,|" | kubectl apply -f - >/dev/null
kubectl wait --for=condition=complete job/gpu-train --timeout=180s >/dev/null
example=$(kubectl logs job/gpu-train 2>&1)
echo "--- gpu-training example:"; echo "$example"
check "the gpu-training example is given its GPU" 'echo "$example" | grep -q "^CUDA_VISIBLE_DEVICES=$uuid$"'
check "the gpu-training example trains on the GPU" 'echo "$example" | grep -q "^training on GPU" && echo "$example" | grep -q "on cuda: training accuracy"'
kubectl delete job gpu-train --wait=true >/dev/null
kill $server; wait $server 2>/dev/null
exit $fail
