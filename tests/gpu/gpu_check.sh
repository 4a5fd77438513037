#!/usr/bin/env bash
# GPU check for the node agent, run on the GPU machine from the bundle (tests/gpu/bundle.sh):
#   NVML reports the real GPU on the Node; a pod asking for it sees it from nvidia-smi and
#   PyTorch; a pod without a request sees none; cgroup v2 limits apply to the pod.
# Usage (on the GPU machine): gpu-bundle/gpu_check.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH="$here/lib:/usr/local/nvidia/lib64:${LD_LIBRARY_PATH:-}"
data=$(mktemp -d)
fail=0
check() { if eval "$2"; then echo "PASS $1"; else echo "FAIL $1"; fail=1; fi; }
"$here/mlkube" server --data-dir "$data" --listen 127.0.0.1:16443 --node-name gpu-node >"$data/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do [ -f "$data/kubeconfig" ] && curl -skf https://127.0.0.1:16443/readyz >/dev/null && break; sleep 0.1; done
api() { curl -sk -H "Authorization: Bearer $(cat "$data/pki/admin.token")" -H 'Content-Type: application/json' "$@"; }
base=https://127.0.0.1:16443/api/v1
sleep 1
node=$(api $base/nodes/gpu-node)
echo "$node" | python3 -c 'import json,sys; n=json.load(sys.stdin); print("capacity:", n["status"]["capacity"]); print("labels:", {k:v for k,v in n["metadata"]["labels"].items() if "nvidia" in k})'
gpus=$(echo "$node" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["capacity"].get("nvidia.com/gpu","0"))')
check "NVML reports a GPU on the Node" '[ "$gpus" -ge 1 ]'
py=/opt/torch/.venv/bin/python
pod() {  # name, gpu count, command
  api -X POST $base/namespaces/default/pods -d "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"$1\"},
    \"spec\":{\"nodeName\":\"gpu-node\",\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"main\",\"image\":\"cuda\",
    \"command\":[\"sh\",\"-c\",\"$3\"],\"resources\":{\"limits\":{\"memory\":\"4Gi\",\"nvidia.com/gpu\":\"$2\"}}}]}}" >/dev/null
}
pod with-gpu 1 "nvidia-smi -L; $py -c 'import torch; print(\\\"torch sees\\\", torch.cuda.device_count()); print(torch.cuda.get_device_name(0))'; cat /sys/fs/cgroup\$(cut -d: -f3 /proc/self/cgroup)/memory.max"
pod without-gpu 0 "nvidia-smi -L; echo rc=\$?; $py -c 'import torch; print(\\\"torch sees\\\", torch.cuda.device_count())'"
for _ in $(seq 120); do
  phases=$(api "$base/namespaces/default/pods" | python3 -c 'import json,sys; print(" ".join(p["status"].get("phase","") for p in json.load(sys.stdin)["items"]))')
  case "$phases" in *Pending*|*Running*|"") sleep 1 ;; *) break ;; esac
done
with=$(api "$base/namespaces/default/pods/with-gpu/log"); without=$(api "$base/namespaces/default/pods/without-gpu/log")
echo "--- with-gpu:"; echo "$with"; echo "--- without-gpu:"; echo "$without"
check "the pod with a GPU sees it in nvidia-smi" 'echo "$with" | grep -q "^GPU 0"'
check "the pod with a GPU sees it from PyTorch" 'echo "$with" | grep -q "torch sees 1"'
check "the pod without a request sees none" 'echo "$without" | grep -q "torch sees 0"'
check "cgroup v2 memory limit applies in the pod" 'echo "$with" | grep -q "^4294967296$"'
api -X DELETE "$base/namespaces/default/pods" >/dev/null
sleep 2
kill $server; wait $server 2>/dev/null
tail -5 "$data/server.log"
exit $fail
