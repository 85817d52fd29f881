#!/usr/bin/env bash
# Soak benchmark (issue 12): a `fleet run` with many actors for a long time, the resident
# memory (VmRSS) of every process sampled throughout. After the warm-up, each process's
# RSS must stay within 10% of its value at the end of the warm-up.
#
#   benchmarks/soak.sh [MINUTES=30] [ACTORS=16] [OUT=runs/soak] [-- extra fleet run args]
#
# Runs configs/cartpole_ppo.yaml (PPO, synchronous actors) with recording on, so that the
# store's write-ahead log and HDF5 writer are soaked too, and a step budget no run
# reaches; stops it with SIGINT after MINUTES (the learner writes its checkpoint and
# summary on the way out). Samples every 10 s into OUT/rss.csv; prints one row per process
# (RSS after the warm-up, the maximum after it, the last, growth) and whether all are flat.
# The warm-up is the first fifth of the run (at most 5 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
actors=${2:-16}
out=${3:-runs/soak}
shift $(( $# < 3 ? $# : 3 ))
[[ "${1:-}" == "--" ]] && shift
fleet=${FLEET:-build/bin/fleet}
rm -rf "$out"
mkdir -p "$(dirname "$out")"

"$fleet" run configs/cartpole_ppo.yaml --run-dir "$out/run" --set actors.count="$actors" \
  --set learner.total_env_steps=1000000000000 --set store.record=true \
  --set run.status_interval_s=60 "$@" > "$out.stdout" 2>&1 &
fleet_pid=$!
end=$(( $(date +%s) + minutes * 60 ))
start=$(date +%s)
mkdir -p "$out"
echo "seconds,process,pid,rss_kb" > "$out/rss.csv"
while (( $(date +%s) < end )) && kill -0 "$fleet_pid" 2> /dev/null; do
  t=$(( $(date +%s) - start ))
  for f in "$out"/run/logs/*.pid; do
    [[ -f "$f" ]] || continue
    name=$(basename "$f" .pid)
    pid=$(cat "$f")
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2> /dev/null || true)
    [[ -n "$rss" ]] && echo "$t,$name,$pid,$rss" >> "$out/rss.csv"
  done
  orch=$(awk '/^VmRSS:/ {print $2}' "/proc/$fleet_pid/status" 2> /dev/null || true)
  [[ -n "$orch" ]] && echo "$t,orchestrator,$fleet_pid,$orch" >> "$out/rss.csv"
  sleep 10
done
if kill -0 "$fleet_pid" 2> /dev/null; then
  kill -INT "$fleet_pid"
  wait "$fleet_pid" || true
else
  echo "soak.sh: fleet run ended before the time was up:" >&2
  tail -20 "$out.stdout" >&2
  exit 1
fi
mv "$out.stdout" "$out/stdout.txt"

python3 - "$out/rss.csv" "$minutes" "$actors" << 'PY'
import csv
import sys
from collections import defaultdict

path, minutes, actors = sys.argv[1], float(sys.argv[2]), sys.argv[3]
warmup = min(300.0, minutes * 60 / 5)
series = defaultdict(list)
for row in csv.DictReader(open(path)):
    series[row["process"]].append((int(row["seconds"]), int(row["pid"]), int(row["rss_kb"])))
print(f"soak: {minutes:g} min, {actors} actors, warm-up {warmup:.0f} s; RSS in MiB")
print("| process | pids | RSS after warm-up | max after warm-up | last | growth |")
print("| --- | --- | --- | --- | --- | --- |")
flat = True
for name in sorted(series, key=lambda n: (n.startswith("actor"), len(n), n)):
    after = [s for s in series[name] if s[0] >= warmup]
    if not after:
        continue
    base, peak, last = after[0][2], max(s[2] for s in after), after[-1][2]
    growth = (peak - base) / base
    flat &= abs(growth) <= 0.10 and abs(last - base) / base <= 0.10
    pids = len({s[1] for s in series[name]})
    print(f"| {name} | {pids} | {base / 1024:.1f} | {peak / 1024:.1f} | {last / 1024:.1f} | "
          f"{100 * growth:+.1f}% |")
print("soak:", "every process flat within 10%" if flat else "NOT FLAT: a process grew by more than 10%")
sys.exit(0 if flat else 1)
PY
