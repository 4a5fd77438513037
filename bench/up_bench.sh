#!/usr/bin/env bash
# `make up` from nothing to the first prediction, and the memory of the running stack.
# Usage: bench/up_bench.sh [BUILD] [--quick]   (as root; the dependencies installed, BUILD built)
#
# Each round: a fresh data directory, scripts/up.sh (what `make up` runs after building), its
# "Ready in" figure and the wall time; then, with the stack idle, the resident memory of the
# server (API, store, controllers, scheduler, node agent), the pods' shims and every process in
# the pods (the two mlserve replicas), as RSS and as PSS (shared pages counted once: the
# replicas share libtorch's; run it alone: PSS shares pages with any other mlserve on the
# machine); then scripts/down.sh, `make up` again on the same data (the
# stack coming back: no training), and down again, checking nothing is left.
# The anchors are published figures (kind and k3s cannot be installed here: no network):
# `kind create cluster` 12-17 s, k3s ~50 s before its system pods are Ready, k3s server 1.6 GB.
set -euo pipefail
build=${1:-build}
rounds=3
[ "${2:-}" = --quick ] && rounds=1
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "$build" && pwd)/mlkube
[ "$(id -u)" = 0 ] || { echo "up_bench needs root (cgroups, namespaces)"; exit 1; }

cg=mlkube-upbench bridge=mkupbench0
export MLKUBE_SERVER_FLAGS="--cgroup-root $cg --bridge-name $bridge --pod-cidr 10.199.0.0/24"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# KiB of a field of /proc/PID/smaps_rollup or status, summed over pids.
sum_kib() {
  local field=$1 total=0 pid v
  shift
  for pid in "$@"; do
    v=$(awk -v f="$field:" '$1 == f {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}
stack_pids() {
  local data=$1
  cat "$data/server.pid"
  # The shim launcher (the server's child) and the shims, each working in its state dir.
  pgrep -P "$(cat "$data/server.pid")" -f shim-launcher || true
  for p in $(pgrep -x mlkube); do
    case "$(readlink "/proc/$p/cwd" 2>/dev/null)" in "$data"/*) echo "$p" ;; esac
  done
  if [ -d /sys/fs/cgroup/pids ]; then
    find "/sys/fs/cgroup/pids/$cg" -name cgroup.procs -exec cat {} + 2>/dev/null
  else
    find "/sys/fs/cgroup/$cg" -name cgroup.procs -exec cat {} + 2>/dev/null
  fi
}

ready=() wall=() again=() rss=() pss=() mlserve_pss=()
for round in $(seq 1 "$rounds"); do
  data=$(mktemp -d /tmp/mlkube-upbench.XXXXXX)
  t0=$(date +%s%N)
  out=$("$root/scripts/up.sh" "$bin" "$data" "127.0.0.1:$port")
  wall+=($((($(date +%s%N) - t0) / 1000000)))
  ready+=("$(sed -n 's/^Ready in \([0-9.]*\) s.*/\1/p' <<<"$out")")
  grep -q "accuracy 0\." <<<"$out" || { echo "$out"; exit 1; }
  sleep 5  # the client Job's pod has finished; the servers idle
  mapfile -t pids < <(stack_pids "$data" | sort -u)
  mapfile -t servers < <(for pid in "${pids[@]}"; do [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = mlserve ] && echo "$pid"; done)
  rss+=($(($(sum_kib Rss "${pids[@]}") / 1024)))
  pss+=($(($(sum_kib Pss "${pids[@]}") / 1024)))
  mlserve_pss+=($(($(sum_kib Pss "${servers[@]}") / 1024)))
  "$root/scripts/down.sh" "$data" >/dev/null
  t0=$(date +%s%N)
  "$root/scripts/up.sh" "$bin" "$data" "127.0.0.1:$port" >/dev/null
  again+=($((($(date +%s%N) - t0) / 1000000)))
  "$root/scripts/down.sh" "$data" >/dev/null
  if ip link show "$bridge" >/dev/null 2>&1 || [ -e "/sys/fs/cgroup/pids/$cg" ] || [ -e "/sys/fs/cgroup/$cg" ]; then
    echo "round $round: something was left behind"; exit 1
  fi
  rm -rf "$data"
  echo "round $round: ready ${ready[-1]} s (make up's wall time ${wall[-1]} ms), stack RSS ${rss[-1]} MiB, PSS ${pss[-1]} MiB (mlserve ${mlserve_pss[-1]} MiB), back after make down in ${again[-1]} ms"
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
printf '\n%-58s %-22s %s\n' figure mlkube anchor
printf '%-58s %-22s %s\n' "make up: command -> first prediction (training included)" "$(median "${ready[@]}") s (median of $rounds)" \
  "kind create cluster 12-17 s; k3s ~50 s to system pods Ready (no workload)"
printf '%-58s %-22s %s\n' "make up after make down (stack comes back, no training)" "$(median "${again[@]}") ms" ""
printf '%-58s %-22s %s\n' "memory of the running stack, PSS (RSS)" "$(median "${pss[@]}") MiB ($(median "${rss[@]}") MiB)" \
  "k3s server: 1.6 GB documented"
printf '%-58s %-22s %s\n' "  of which the two mlserve replicas, PSS" "$(median "${mlserve_pss[@]}") MiB" ""
