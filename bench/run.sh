#!/usr/bin/env bash
# Runs the benchmarks against the build in $1 (default build/). Pass --quick for a short run.
# The node and batch benchmarks need root; the batch one installs Debian's Slurm to compare with.
set -euo pipefail
build=${1:-build}
shift || true
"$build/api_bench" "$build/mlkube" "$@"
"$build/scheduler_bench" "$build/mlkube" "$@"
"$build/serving_bench" "$build/mlserve" "$@"
if [ "$(id -u)" = 0 ]; then
  "$build/agent_bench" "$build/mlkube" "$@"
  "$build/service_bench" "$build/mlkube" "$@"
  "$build/hpa_bench" "$build/mlkube" "$@"
  ./bench/up_bench.sh "$build" "$@"
  if ! command -v slurmctld >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null || echo "(Slurm not installed)"
  fi
  "$build/job_bench" "$build/mlkube" "$@"
else
  echo "(agent_bench, service_bench, hpa_bench, up_bench and job_bench skipped: they need root)"
fi
