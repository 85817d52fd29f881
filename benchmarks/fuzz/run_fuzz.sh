#!/bin/bash
# Fuzzes the parsers that take bytes from outside (issue 13): the store's chunk validator
# (bytes from an actor's socket), the write-ahead log reader (bytes from a disk after a
# crash), the config loader (a user's YAML) and `fleet serve`'s request handling (issue
# 16: bodies from any HTTP or WebSocket client). libFuzzer with AddressSanitizer and
# UBSan, clang from Debian; a time budget per target, not part of ctest.
#
#   benchmarks/fuzz/run_fuzz.sh [SECONDS_PER_TARGET=600] [BUILD_DIR=build] [TARGET...]
#
# TARGETs: chunk_validator_fuzz wal_fuzz config_fuzz serve_fuzz (default: all).
#
# Needs a configured BUILD_DIR (for the generated protobuf code). Builds into
# BUILD_DIR/fuzz, keeps each target's growing corpus in BUILD_DIR/fuzz/corpus/NAME (seeded
# from benchmarks/fuzz/seeds/NAME, and configs/ for the config loader) and any crash as
# BUILD_DIR/fuzz/crash-*; prints one line per target: executions, corpus size, crashes.
set -euo pipefail
seconds=${1:-600}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${2:-$root/build}" && pwd)
shift $(( $# < 2 ? $# : 2 ))
targets=("$@")
(( ${#targets[@]} )) || targets=(chunk_validator_fuzz wal_fuzz config_fuzz serve_fuzz)
out=$build/fuzz
mkdir -p "$out"
CXX=${CXX_FUZZ:-clang++}
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$root" -I"$build" -I"$build/proto")
proto="$build/proto/fleet.pb.cc"
[ -f "$proto" ] || { echo "run_fuzz.sh: no $proto; configure and build $build first" >&2; exit 2; }

build_target() {  # name, sources...
  local name=$1; shift
  [[ " ${targets[*]} " == *" $name "* ]] || return 0
  "$CXX" "${flags[@]}" "$root/benchmarks/fuzz/$name.cc" "$@" -o "$out/$name" \
    $(pkg-config --libs protobuf yaml-cpp) -lpthread
}
echo "run_fuzz.sh: building into $out"
build_target chunk_validator_fuzz "$root/replay/chunk_validator.cc" "$root/common/status.cc" "$proto"
build_target wal_fuzz "$root/replay/wal.cc" "$root/common/crc32c.cc" "$root/common/status.cc" "$proto"
build_target config_fuzz "$root/common/experiment_config.cc" "$root/common/config.cc" \
  "$root/common/status.cc"
# the env server's request handling: the service compiled here with the sanitizers, the
# envs it steps taken from BUILD_DIR's (gcc-built, uninstrumented) libraries
build_target serve_fuzz "$root/envs/server/env_service.cc" "$build/envs/libfleet_envs.a" \
  "$build/common/libfleet_common.a" -lbox2d -lmujoco $(pkg-config --libs spdlog fmt)

run_target() {  # name, seed dirs...
  local name=$1; shift
  local corpus=$out/corpus/$name
  mkdir -p "$corpus"
  local log=$out/$name.log
  set +e
  "$out/$name" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$out/crash-$name-" \
    -rss_limit_mb=4096 -timeout=10 "$corpus" "$@" > "$log" 2>&1
  local rc=$?
  set -e
  local execs
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  local crashes
  crashes=$(find "$out" -maxdepth 1 -name "crash-$name-*" | wc -l)
  printf '%-22s %4ss  %12s executions  %5s corpus files  %s crash(es)  exit %s\n' "$name" \
    "$seconds" "$execs" "$(ls "$corpus" | wc -l)" "$crashes" "$rc"
}
echo "run_fuzz.sh: $seconds s per target on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
declare -A seeds=([chunk_validator_fuzz]="$root/benchmarks/fuzz/seeds/chunk"
                  [wal_fuzz]="$root/benchmarks/fuzz/seeds/wal" [config_fuzz]="$root/configs"
                  [serve_fuzz]="$root/benchmarks/fuzz/seeds/serve")
for name in "${targets[@]}"; do
  [[ -n "${seeds[$name]:-}" ]] || { echo "run_fuzz.sh: no target $name" >&2; exit 2; }
  run_target "$name" "${seeds[$name]}"
done
