#!/usr/bin/env bash
# Runs on the GPU machine from gpu-bundle/ (see bundle.sh): the GPU check, then the node agent's
# tests (cgroups, shim, end to end with kubectl) on that machine's cgroup v2. The tests were
# built with the binary's absolute path, so the bundle's mlkube is put there.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH="$here/lib:${LD_LIBRARY_PATH:-}" PATH="$PATH:$here/bin"
out=${OUT:-/tmp}
echo "== host: $(uname -r), cgroup $(stat -fc %T /sys/fs/cgroup), $(nproc) cores"
nvidia-smi -L 2>&1 | head -4
command -v ip curl python3 | tr '\n' ' '; echo
gunzip -c "$here/kubectl.gz" >/usr/local/bin/kubectl && chmod +x /usr/local/bin/kubectl
"$here/gpu_check.sh" 2>&1 | tee "$out/gpu_check.log"
gpu=${PIPESTATUS[0]}
binary=$(strings "$here/unit_tests" | grep -m1 -E '^/.*/build/mlkube$')
mkdir -p "$(dirname "$binary")" && cp "$here/mlkube" "$binary"
echo "== agent tests (mlkube at $binary)"
timeout 300 "$here/unit_tests" --gtest_filter="${TESTS:-CgroupsTest.*:ShimTest.*:AgentE2E.*}" 2>&1 |
  tee "$out/agent_tests.log" | grep -E '^\[ +(OK|FAILED|PASSED) |^\[==========\]|Failure|error' | head -80
tests=${PIPESTATUS[0]}
echo "== gpu check rc=$gpu, agent tests rc=$tests"
exit $((gpu | tests))
