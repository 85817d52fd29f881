#!/usr/bin/env python3
"""Runs a config over several seeds with `fleet run` and reports, per seed, when the
mean-100 return first reached each threshold: env steps, episodes and wall-clock seconds
(from the run's metrics.csv), and the final mean-100 return. Used for docs/RESULTS.md.

  python3 benchmarks/learning_curves.py --fleet build/bin/fleet --config configs/cartpole_reinforce.yaml \
      --seeds 1 2 3 --thresholds 195 475 --out runs/curves [--set key=value ...]
"""
import argparse
import csv
import json
import os
import subprocess
import sys


def first_reach(rows, threshold):
    for r in rows:
        # mean_return_100 is over the episodes so far: require a full window of 100
        if int(r["episodes"]) >= 100 and float(r["mean_return_100"]) >= threshold:
            return r
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--fleet", default="build/bin/fleet")
    p.add_argument("--config", required=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--thresholds", type=float, nargs="+", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--set", action="append", default=[])
    p.add_argument("--reuse", action="store_true", help="read finished runs instead of re-running")
    a = p.parse_args()
    results = []
    for seed in a.seeds:
        run_dir = os.path.join(a.out, f"seed{seed}")
        if not (a.reuse and os.path.exists(os.path.join(run_dir, "summary.json"))):
            cmd = [a.fleet, "run", a.config, "--run-dir", run_dir, "--set", f"run.seed={seed}"]
            for s in a.set:
                cmd += ["--set", s]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(run_dir, "metrics.csv")) as f:
            rows = list(csv.DictReader(f))
        with open(os.path.join(run_dir, "summary.json")) as f:
            summary = json.load(f)
        res = {"seed": seed, "env_steps": summary["env_steps"], "wall_seconds": summary["wall_seconds"],
               "episodes": summary["episodes"], "final_mean_return_100": summary["mean_return_100"]}
        for t in a.thresholds:
            r = first_reach(rows, t)
            res[f"reach_{t:g}"] = None if r is None else {
                "env_steps": int(r["env_steps"]), "episodes": int(r["episodes"]),
                "wall_seconds": float(r["wall_seconds"])}
        results.append(res)
        print(json.dumps(res), flush=True)
    json.dump(results, open(os.path.join(a.out, "curves.json"), "w"), indent=1)


if __name__ == "__main__":
    sys.exit(main())
