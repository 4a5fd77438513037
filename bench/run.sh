#!/usr/bin/env bash
# Runs the benchmarks against the build in $1 (default build/). Pass --quick for a short run.
set -euo pipefail
build=${1:-build}
shift || true
"$build/api_bench" "$build/mlkube" "$@"
if [ "$(id -u)" = 0 ]; then
  "$build/agent_bench" "$build/mlkube" "$@"
else
  echo "(agent_bench skipped: it needs root)"
fi
