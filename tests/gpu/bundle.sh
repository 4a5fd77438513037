#!/usr/bin/env bash
# Packs what the GPU machine needs into gpu-bundle/ (it is Ubuntu 24.04 with no Debian packages
# of ours): build/mlkube and build/unit_tests with the shared libraries they need from Debian,
# the `ip` tool the agent drives (that image has no iproute2), and kubectl, so the agent's
# end-to-end tests also run there, on cgroup v2.
# Usage: tests/gpu/bundle.sh [BUILD_DIR]; then `run` with carry ["gpu-bundle"] and the command
#   gpu-bundle/device.sh
set -euo pipefail
build=${1:-build}
out=gpu-bundle
rm -rf "$out"
mkdir -p "$out/lib" "$out/bin"
strip --strip-debug -o "$out/mlkube" "$build/mlkube"
strip --strip-debug -o "$out/unit_tests" "$build/unit_tests"
cp "$(readlink -f "$(command -v ip)")" "$out/bin/ip"
for bin in mlkube unit_tests bin/ip; do
  # Everything but the C library and the loader, which the host's newer glibc provides.
  ldd "$out/$bin" | awk '/=> \//{print $3}' | grep -vE '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*)\.so' |
    while read -r lib; do cp -L "$lib" "$out/lib/"; done
done
gzip -1 -c "$(readlink -f /usr/bin/kubectl)" >"$out/kubectl.gz"
cp tests/gpu/gpu_check.sh tests/gpu/device.sh "$out/"
cp -r examples/gpu-training "$out/"
du -sh "$out"
