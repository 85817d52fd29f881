"""Time to CartPole-v1's threshold: Fleet's `fleet run` against CleanRL's ppo.py, side by
side on this machine, same seeds, one after the other.

Both are judged the same way: the first env step at which the mean return of the last 100
finished episodes reaches 475, and the wall-clock seconds from launching the command to
that point (process start-up included for both). CleanRL 1.2.0's ppo.py runs as published
on Debian's python3-torch (the same libtorch 1.13 as Fleet's learner); set it up with
scripts/setup-bench-venv.sh.

Usage: .venv-bench/bin/python benchmarks/cartpole_vs_cleanrl.py BUILD_DIR [--seeds 1 2 3]
       [--config configs/cartpole_ppo.yaml] [--steps 500000]
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time

THRESHOLD = 475.0
RETURN_RE = re.compile(r"global_step=(\d+), episodic_return=\[?([-0-9.e]+)")


def run_cleanrl(python, ppo, seed, steps, workdir):
    start = time.monotonic()
    proc = subprocess.Popen(
        [python, ppo, "--seed", str(seed), "--total-timesteps", str(steps), "--cuda", "False"],
        cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    last = collections.deque(maxlen=100)
    hit_step = hit_s = None
    episodes = 0
    for line in proc.stdout:
        m = RETURN_RE.search(line)
        if not m:
            continue
        episodes += 1
        last.append(float(m.group(2)))
        if hit_step is None and len(last) == 100 and sum(last) / 100 >= THRESHOLD:
            hit_step, hit_s = int(m.group(1)), time.monotonic() - start
    rc = proc.wait()
    total = time.monotonic() - start
    if rc != 0:
        raise RuntimeError(f"CleanRL ppo.py exited {rc}")
    return dict(threshold_step=hit_step, threshold_seconds=hit_s, wall_seconds=total,
                mean_return_100=sum(last) / max(1, len(last)), episodes=episodes)


def run_fleet(build, config, seed, steps, workdir):
    run_dir = os.path.join(workdir, f"fleet-{seed}")
    start = time.monotonic()
    subprocess.run([os.path.join(build, "bin", "fleet"), "run", config, "--run-dir", run_dir,
                    "--set", f"run.seed={seed}", "--set", f"learner.total_env_steps={steps}"],
                   check=True, stdout=subprocess.DEVNULL)
    total = time.monotonic() - start
    with open(os.path.join(run_dir, "summary.json")) as f:
        s = json.load(f)
    return dict(threshold_step=s["threshold_step"], threshold_seconds=s["threshold_seconds"],
                wall_seconds=total, mean_return_100=s["mean_return_100"],
                episodes=s["episodes"])


def fmt(v, spec):
    return "never" if v is None else format(v, spec)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--config", default="configs/cartpole_ppo.yaml")
    ap.add_argument("--steps", type=int, default=500000)
    ap.add_argument("--cleanrl", default=os.path.join(".venv-bench", "cleanrl", "ppo.py"))
    args = ap.parse_args()
    ppo = os.path.abspath(args.cleanrl)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            rows.append(("fleet " + os.path.basename(args.config), seed,
                         run_fleet(args.build, args.config, seed, args.steps, tmp)))
            rows.append(("CleanRL 1.2.0 ppo.py", seed,
                         run_cleanrl(sys.executable, ppo, seed, args.steps, tmp)))
            for name, s, r in rows[-2:]:
                print(f"{name} seed {s}: {r}", file=sys.stderr, flush=True)
    print("| system | seed | threshold_step | threshold_seconds | wall for "
          f"{args.steps} steps (s) | final mean_return_100 |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, seed, r in rows:
        print(f"| {name} | {seed} | {fmt(r['threshold_step'], 'd')} | "
              f"{fmt(r['threshold_seconds'], '.1f')} | {r['wall_seconds']:.1f} | "
              f"{r['mean_return_100']:.1f} |")
    for name in sorted({r[0] for r in rows}):
        ts = [r[2]["threshold_seconds"] for r in rows if r[0] == name]
        if all(t is not None for t in ts):
            print(f"\nmean threshold_seconds, {name}: {sum(ts) / len(ts):.2f}")


if __name__ == "__main__":
    main()
