#!/usr/bin/env bash
# fleet serve against a FastAPI/uvicorn server wrapping Gymnasium's same env (issue 16),
# side by side: each server pinned to CPU 0 (one core, one serving thread/worker), the load
# generator (build/benchmarks/serve_bench, C++, keep-alive connections) pinned to CPU 1.
#
#   benchmarks/serve_bench.sh [ENV_ID=CartPole-v1] [SECONDS=10] [CLIENTS=4] [BUILD=build]
#
# The peer runs in .venv (scripts/setup-test-venv.sh) with uvicorn[standard] (uvloop and
# httptools: uvicorn's fast configuration), installed here when missing. Prints one JSON
# line per measurement and a markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
env_id=${1:-CartPole-v1}
seconds=${2:-10}
clients=${3:-4}
build=${4:-build}
py=.venv/bin/python
[ -x $py ] || bash scripts/setup-test-venv.sh
$py -c "import uvloop, httptools, fastapi" 2>/dev/null ||
  .venv/bin/pip install -q --disable-pip-version-check "uvicorn[standard]" fastapi
bench="$build/benchmarks/serve_bench"
out=$(mktemp -d)
trap 'kill $(jobs -p) 2> /dev/null || true; rm -rf "$out"' EXIT

wait_port() {  # port
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$1/health" > /dev/null && return 0
    sleep 0.1
  done
  echo "serve_bench.sh: nothing answers on port $1" >&2
  return 1
}
measure() {  # name port [serve_bench args]
  local name=$1 port=$2
  shift 2
  taskset -c 1 "$bench" "http://127.0.0.1:$port" --seconds "$seconds" "$@" |
    sed "s/^{/{\"server\": \"$name\", /" | tee -a "$out/results.jsonl"
}

taskset -c 0 "$build/bin/fleet" serve "$env_id" --port 18731 --threads 1 --max-sessions 1024 \
  > "$out/fleet.log" 2>&1 &
fleet_pid=$!
wait_port 18731
measure fleet 18731 --clients 1
measure fleet 18731 --clients "$clients"
measure fleet 18731 --clients 1 --batch 64
measure fleet 18731 --clients "$clients" --batch 64
kill -INT $fleet_pid
wait $fleet_pid || true

taskset -c 0 $py benchmarks/serve_reference.py "$env_id" --port 18732 > "$out/ref.log" 2>&1 &
ref_pid=$!
wait_port 18732
measure fastapi 18732 --clients 1
measure fastapi 18732 --clients "$clients"
kill $ref_pid
wait $ref_pid 2> /dev/null || true

$py - "$out/results.jsonl" "$env_id" << 'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"\n{sys.argv[2]}, server on one core (CPU 0), load generator on CPU 1")
print("| server | clients | envs per request | steps/s | p50 µs | p99 µs |")
print("| --- | --- | --- | --- | --- | --- |")
for r in rows:
    print(f"| {r['server']} | {r['clients']} | {r['batch'] or 1} | {r['steps_per_s']:,.0f} | "
          f"{r['latency_us_p50']:.0f} | {r['latency_us_p99']:.0f} |")
best = lambda s: max(r["steps_per_s"] for r in rows if r["server"] == s and r["batch"] == 0)
print(f"single-env steps/s, best of the client counts: fleet {best('fleet'):,.0f}, "
      f"fastapi {best('fastapi'):,.0f}: {best('fleet') / best('fastapi'):.1f}x")
PY
