#!/usr/bin/env bash
# End-to-end throughput: env steps/s through the whole pipeline (actors -> store ->
# learner -> weights -> actors), from `fleet run`'s summary.json, with 1 and 2 actors,
# synchronous and asynchronous. Two learner loads:
#   ppo:   configs/cartpole_ppo.yaml as is (the learner is the bottleneck);
#   light: 1 epoch of one minibatch over large batches (32 envs x 256 steps per actor),
#          so actors, serialization, the store and ZeroMQ dominate.
# Usage: benchmarks/e2e_throughput.sh [BUILD_DIR] [STEPS]
set -euo pipefail
build=${1:-build}
steps=${2:-300000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf "| load | actors | mode | env steps | wall (s) | env steps/s |\n| --- | --- | --- | --- | --- | --- |\n"
for load in ppo light; do
  extra=()
  if [ $load = light ]; then
    extra=(--set env.num_envs=32 --set actors.steps_per_chunk=256 --set learner.ppo.update_epochs=1
           --set learner.ppo.num_minibatches=1)
  fi
  for actors in 1 2; do
    for sync in true false; do
      dir="$tmp/$load-$actors-$sync"
      "$build/bin/fleet" run configs/cartpole_ppo.yaml --run-dir "$dir" \
        --set actors.count=$actors --set actors.sync=$sync \
        --set learner.total_env_steps=$steps "${extra[@]}" > /dev/null
      python3 - "$dir/summary.json" "$load" "$actors" "$sync" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
mode = "sync" if sys.argv[4] == "true" else "async"
print(f"| {sys.argv[2]} | {sys.argv[3]} | {mode} | {s['env_steps']} | {s['wall_seconds']:.2f} | "
      f"{s['env_steps'] / s['wall_seconds']:,.0f} |")
PY
    done
  done
done
