#!/usr/bin/env bash
# Runs the benchmarks that need nothing beyond the build (see benchmarks/README.md).
set -euo pipefail
build=${1:-build}
"$build/benchmarks/ppo_update_bench"
"$build/benchmarks/env_bench"
bash benchmarks/e2e_throughput.sh "$build"
