#!/usr/bin/env python3
"""SAC side by side: CleanRL 1.2.0's sac_continuous_action.py and Fleet's `fleet run`
with configs/halfcheetah_sac.yaml (the same defaults), for the same number of env steps,
each pinned (taskset) to its CPU list: by default at the same time, CleanRL on core 1 with one
torch thread and every Fleet process on core 0 with one learner thread; with --only and
--cleanrl-cpu 0,1 / --fleet-cpu 0,1 and --cleanrl-threads / --fleet-threads, one system at
a time on the whole machine (torch's intra-op and the BLAS threads for CleanRL,
learner.threads for Fleet).

Reports per system: wall seconds to the end, env steps per second, the mean return of the
episodes that ended in each window of --window steps, and the final window's. CleanRL's
episode returns and steps come from its stdout ("global_step=..., episodic_return=..."),
timestamped here as they arrive; Fleet's from its metrics.csv and the run's summary.json.
CleanRL 1.2.0's SAC is written for gym 0.23.1's API, whose MuJoCo envs need mujoco-py
and MuJoCo 2.1 binaries that PyPI does not carry: it runs unmodified in .venv-bench-sac
(its pins: gym 0.23.1 and Stable-Baselines3 1.2.0's replay buffer; plus gymnasium 0.28.1
and mujoco 2.3.3), on Gymnasium's HalfCheetah-v4 seen through gym's old API
(benchmarks/cleanrl_gymnasium_launch.py). Fleet steps its own HalfCheetah-v5 (the same
model and reward terms as v4; docs/RESULTS.md).

  scripts/setup-bench-venv.sh
  python3 benchmarks/sac_vs_cleanrl.py --steps 100000 --seed 1 --out runs/sac_vs_cleanrl
  python3 benchmarks/sac_vs_cleanrl.py --only fleet --fleet-cpu 0,1 --fleet-threads 1 ...
  python3 benchmarks/sac_vs_cleanrl.py --only fleet --fleet-cpu 0,1 --fleet-set store.cpus=0 \
      --fleet-set actors.cpus=0 --fleet-set learner.cpus=1 ...   (the learner on a core of its own)
"""
import argparse
import csv
import json
import os
import re
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINE = re.compile(r"global_step=(\d+), episodic_return=\[?(-?[\d.eE+-]+)")


def run_cleanrl(args, out, result):
    script = os.path.join(ROOT, ".venv-bench", "cleanrl", "sac_continuous_action.py")
    launch = os.path.join(ROOT, "benchmarks", "cleanrl_gymnasium_launch.py")
    cmd = ["taskset", "-c", str(args.cleanrl_cpu), args.cleanrl_python, launch, script,
           "--env-id", args.cleanrl_env, "--total-timesteps", str(args.steps),
           "--seed", str(args.seed), "--cuda", "False"]
    n = str(args.cleanrl_threads)
    env = dict(os.environ, OMP_NUM_THREADS=n, MKL_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n,
               PYTHONUNBUFFERED="1")
    start = time.time()
    episodes = []
    with open(os.path.join(out, "cleanrl.log"), "w") as log:
        p = subprocess.Popen(cmd, cwd=out, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, bufsize=1)
        for line in p.stdout:
            log.write(line)
            m = LINE.search(line)
            if m:
                episodes.append((int(m.group(1)), float(m.group(2)), time.time() - start))
        p.wait()
    result["cleanrl"] = {"exit_code": p.returncode, "wall_seconds": time.time() - start,
                         "episodes": episodes, "command": " ".join(cmd)}


def run_fleet(args, out, result):
    run_dir = os.path.join(out, "fleet")
    cmd = ["taskset", "-c", str(args.fleet_cpu), os.path.join(ROOT, "build", "bin", "fleet"), "run",
           os.path.join(ROOT, "configs", "halfcheetah_sac.yaml"), "--run-dir", run_dir,
           "--set", f"learner.total_env_steps={args.steps}", "--set", f"run.seed={args.seed}",
           "--set", "learner.sac.log_every=250", "--set", f"learner.threads={args.fleet_threads}"]
    for kv in args.fleet_set:
        cmd += ["--set", kv]
    start = time.time()
    with open(os.path.join(out, "fleet.log"), "w") as log:
        code = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT)
    wall = time.time() - start
    rows = []
    metrics = os.path.join(run_dir, "metrics.csv")
    if os.path.exists(metrics):
        with open(metrics) as f:
            rows = list(csv.DictReader(f))
    result["fleet"] = {"exit_code": code, "wall_seconds": wall, "rows": rows, "command": " ".join(cmd)}


def windows_cleanrl(episodes, window, steps):
    table = []
    for lo in range(0, steps, window):
        r = [ret for s, ret, _ in episodes if lo < s <= lo + window]
        table.append((lo + window, sum(r) / len(r) if r else None, len(r)))
    return table


def windows_fleet(rows, window, steps):
    # metrics.csv holds mean_return_100 per row; the window's value is the row nearest
    # its end (the mean of the last 100 episodes, i.e. 100k steps of HalfCheetah).
    table = []
    for hi in range(window, steps + 1, window):
        best = None
        for row in rows:
            s = float(row["env_steps"])
            if s <= hi + 1:
                best = row
        table.append((hi, float(best["mean_return_100"]) if best else None, None))
    return table


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--window", type=int, default=25000)
    ap.add_argument("--cleanrl-env", default="GymnasiumMujoco/HalfCheetah-v4")
    ap.add_argument("--cleanrl-cpu", default="1", help="taskset CPU list, e.g. 1 or 0,1")
    ap.add_argument("--fleet-cpu", default="0", help="taskset CPU list, e.g. 0 or 0,1")
    ap.add_argument("--cleanrl-threads", type=int, default=1, help="torch intra-op and BLAS threads")
    ap.add_argument("--fleet-threads", type=int, default=1, help="learner.threads")
    ap.add_argument("--fleet-set", action="append", default=[], metavar="KEY=VALUE",
                    help="more config for Fleet's run, e.g. learner.cpus=1 (repeatable)")
    ap.add_argument("--out", default="runs/sac_vs_cleanrl")
    # CleanRL 1.2.0's SAC script's own pins (scripts/setup-bench-venv.sh makes the venv)
    ap.add_argument("--cleanrl-python", default=os.path.join(ROOT, ".venv-bench-sac", "bin", "python"))
    ap.add_argument("--only", choices=["both", "cleanrl", "fleet"], default="both",
                    help="one system alone (pinned to its CPU list)")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    result = {}
    threads = []
    if args.only in ("both", "cleanrl"):
        threads.append(threading.Thread(target=run_cleanrl, args=(args, out, result)))
    if args.only in ("both", "fleet"):
        threads.append(threading.Thread(target=run_fleet, args=(args, out, result)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    summary = {"steps": args.steps, "seed": args.seed,
               "cleanrl_cpu": args.cleanrl_cpu, "cleanrl_threads": args.cleanrl_threads,
               "fleet_cpu": args.fleet_cpu, "fleet_threads": args.fleet_threads}
    if "cleanrl" in result:
        c = result["cleanrl"]
        summary["cleanrl"] = {
            "exit_code": c["exit_code"], "wall_seconds": round(c["wall_seconds"], 1),
            "steps_per_second": round(args.steps / c["wall_seconds"], 1),
            "episodes": len(c["episodes"]),
            "mean_return_by_window": windows_cleanrl(c["episodes"], args.window, args.steps),
            "last_10_episodes_mean": (sum(r for _, r, _ in c["episodes"][-10:]) /
                                      max(1, len(c["episodes"][-10:]))),
            "command": c["command"]}
    if "fleet" in result:
        f = result["fleet"]
        summary["fleet"] = {
            "exit_code": f["exit_code"], "wall_seconds": round(f["wall_seconds"], 1),
            "steps_per_second": round(args.steps / f["wall_seconds"], 1),
            "mean_return_100_by_window": windows_fleet(f["rows"], args.window, args.steps),
            "command": f["command"]}
    summ = os.path.join(out, "fleet", "summary.json")
    if "fleet" in result and os.path.exists(summ):
        with open(summ) as fh:
            s = json.load(fh)
        summary["fleet"]["summary"] = {k: s.get(k) for k in ("env_steps", "episodes", "mean_return_100",
                                                              "wall_seconds", "updates")}
    with open(os.path.join(out, "summary-" + args.only + ".json"), "w") as fh:
        json.dump(summary, fh, indent=1)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
