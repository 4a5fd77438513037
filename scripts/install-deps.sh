#!/usr/bin/env bash
# Installs the Debian packages mlkube builds, tests and benchmarks with. Idempotent; needs root.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libboost-dev libboost-system-dev libssl-dev libsqlite3-dev sqlite3
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev prometheus-cpp-dev prometheus
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  clang libclang-rt-14-dev
  python3 python3-kubernetes python3-yaml curl tzdata
  etcd-server wrk
  iproute2 procps
  libnftables-dev nftables libldns-dev zlib1g-dev libbpf-dev nginx-light dnsutils dnsmasq-base
  libtorch-dev libxgboost-dev libopenblas0-pthread python3-torch python3-xgboost python3-sklearn python3-numpy
  python3-fastapi python3-uvicorn python3-uvloop python3-httptools dataset-fashion-mnist
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
