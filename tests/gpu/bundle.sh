#!/usr/bin/env bash
# Packs build/mlkube with the shared libraries it needs from Debian into gpu-bundle/, so it
# runs on the GPU machine (Ubuntu 24.04, no Debian packages): LD_LIBRARY_PATH=gpu-bundle/lib.
# Usage: tests/gpu/bundle.sh [BUILD_DIR]   (then `run` with carry: ["gpu-bundle"])
set -euo pipefail
build=${1:-build}
out=gpu-bundle
rm -rf "$out"
mkdir -p "$out/lib"
cp "$build/mlkube" "$out/"
strip --strip-debug "$out/mlkube"
# Everything but the C library and the loader, which the host's newer glibc provides.
ldd "$build/mlkube" | awk '/=> \//{print $3}' | grep -vE '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*)\.so' |
  while read -r lib; do cp -L "$lib" "$out/lib/"; done
cp tests/gpu/gpu_check.sh "$out/"
du -sh "$out"
