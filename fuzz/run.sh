#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs them for a bounded time: the
# API's decoding for SECONDS, the model server's request decoding for half of it.
# Usage: fuzz/run.sh [SECONDS] (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
out=build-fuzz
mkdir -p "$out" "$out/corpus"
srcs=$(ls src/api/*.cc src/common/*.cc | grep -v -e _test.cc -e common/metrics.cc)  # metrics: prometheus-cpp, not decoding
flags="-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Isrc"
objs=()
for s in $srcs; do
  o="$out/$(basename "${s%.cc}").o"
  if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || [ -n "$(find src/api src/common -name '*.h' -newer "$o" | head -1)" ]; then
    clang++ $flags -fsanitize=fuzzer-no-link -c "$s" -o "$o"
  fi
  objs+=("$o")
done
clang++ $flags fuzz/api_fuzz.cc "${objs[@]}" -lyaml-cpp -lcrypto -o "$out/api_fuzz"
cp -n fuzz/corpus/* "$out/corpus/" 2>/dev/null || true
ASAN_OPTIONS=detect_leaks=1 "$out/api_fuzz" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
  -rss_limit_mb=4096 "$out/corpus"

# The model server's request decoding, for half the time.
mkdir -p "$out/serving_corpus"
serving=()
for s in src/serving/protocol.cc src/serving/model_config.cc src/serving/tensor.cc src/common/status.cc; do
  o="$out/serving_$(basename "${s%.cc}").o"
  [ -f "$o" ] && [ "$o" -nt "$s" ] || clang++ $flags -fsanitize=fuzzer-no-link -c "$s" -o "$o"
  serving+=("$o")
done
clang++ $flags fuzz/serving_fuzz.cc "${serving[@]}" -o "$out/serving_fuzz"
cp -n fuzz/serving_corpus/* "$out/serving_corpus/" 2>/dev/null || true
ASAN_OPTIONS=detect_leaks=1 "$out/serving_fuzz" -max_total_time="$(( (seconds + 1) / 2 ))" -max_len=65536 -timeout=10 \
  -rss_limit_mb=4096 "$out/serving_corpus"
