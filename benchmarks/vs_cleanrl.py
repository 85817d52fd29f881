"""Time to a return threshold: Fleet's `fleet run` against CleanRL's PPO, side by side on this
machine, same seeds, one after the other.

Both are judged the same way: the first env step at which the mean return of the last 100
finished episodes reaches the threshold, and the wall-clock seconds from launching the command
to that point (process start-up included for both). CleanRL 1.2.0's scripts run as published
on Debian's python3-torch (the same libtorch 1.13 as Fleet's learner); set them up with
scripts/setup-bench-venv.sh. Fleet's crossing is read from the run's metrics.csv (one row per
update; CleanRL's from its per-episode prints), so Fleet's is exact to one update.

Presets (--preset):
  cartpole     configs/cartpole_ppo.yaml vs ppo.py on CartPole-v1 (gym 0.23.1), threshold 475
               (CartPole-v1's reward threshold), 500k steps.
  halfcheetah  configs/halfcheetah_ppo_cleanrl.yaml (HalfCheetah-v5) vs ppo_continuous_action.py
               on HalfCheetah-v4 (gymnasium 0.28.1, mujoco 2.3.3), threshold 1443 (CleanRL's
               published mean at 1M steps), 1M steps. v4 and v5 share the model, reward and
               observation; v5 only fixes bugs in other environments' terms.

Usage: .venv-bench/bin/python benchmarks/vs_cleanrl.py BUILD_DIR [--preset cartpole|halfcheetah]
       [--seeds 1 2 3] [--steps N] [--threshold R] [--config FILE]
"""
import argparse
import collections
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time

PRESETS = {
    "cartpole": dict(config="configs/cartpole_ppo.yaml", script="ppo.py", env_id="CartPole-v1",
                     threshold=475.0, steps=500000),
    "halfcheetah": dict(config="configs/halfcheetah_ppo_cleanrl.yaml",
                        script="ppo_continuous_action.py", env_id="HalfCheetah-v4",
                        threshold=1443.0, steps=1000000),
}
RETURN_RE = re.compile(r"global_step=(\d+), episodic_return=\[?([-0-9.e]+)")
SPS_RE = re.compile(r"^SPS: (\d+)")


def run_cleanrl(python, script, env_id, seed, steps, threshold, workdir):
    start = time.monotonic()
    proc = subprocess.Popen(
        [python, script, "--env-id", env_id, "--seed", str(seed), "--total-timesteps", str(steps),
         "--cuda", "False"],
        cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    last = collections.deque(maxlen=100)
    hit_step = hit_s = None
    episodes = 0
    tail = collections.deque(maxlen=20)
    for line in proc.stdout:
        tail.append(line)
        m = RETURN_RE.search(line)
        if not m:
            continue
        episodes += 1
        last.append(float(m.group(2)))
        if hit_step is None and len(last) == 100 and sum(last) / 100 >= threshold:
            hit_step, hit_s = int(m.group(1)), time.monotonic() - start
    rc = proc.wait()
    total = time.monotonic() - start
    if rc != 0:
        raise RuntimeError(f"CleanRL {os.path.basename(script)} exited {rc}:\n{''.join(tail)}")
    return dict(threshold_step=hit_step, threshold_seconds=hit_s, wall_seconds=total,
                mean_return_100=sum(last) / max(1, len(last)), episodes=episodes)


def run_fleet(build, config, seed, steps, threshold, workdir):
    run_dir = os.path.join(workdir, f"fleet-{seed}")
    start = time.monotonic()
    subprocess.run([os.path.join(build, "bin", "fleet"), "run", config, "--run-dir", run_dir,
                    "--set", f"run.seed={seed}", "--set", f"learner.total_env_steps={steps}"],
                   check=True, stdout=subprocess.DEVNULL)
    total = time.monotonic() - start
    with open(os.path.join(run_dir, "summary.json")) as f:
        s = json.load(f)
    # metrics.csv's wall_seconds count from the orchestrator's start (fleet run passes its
    # start time to the learner), i.e. from the command's launch, as for CleanRL.
    with open(os.path.join(run_dir, "metrics.csv")) as f:
        rows = list(csv.DictReader(f))
    hit_step = hit_s = None
    for r in rows:
        if int(r["episodes"]) >= 100 and float(r["mean_return_100"]) >= threshold:
            hit_step, hit_s = int(r["env_steps"]), float(r["wall_seconds"])
            break
    return dict(threshold_step=hit_step, threshold_seconds=hit_s, wall_seconds=total,
                mean_return_100=s["mean_return_100"], episodes=s["episodes"])


def fmt(v, spec):
    return "never" if v is None else format(v, spec)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="cartpole")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--config")
    ap.add_argument("--steps", type=int)
    ap.add_argument("--threshold", type=float)
    ap.add_argument("--cleanrl-dir", default=os.path.join(".venv-bench", "cleanrl"))
    args = ap.parse_args()
    p = dict(PRESETS[args.preset])
    for k in ("config", "steps", "threshold"):
        if getattr(args, k) is not None:
            p[k] = getattr(args, k)
    script = os.path.abspath(os.path.join(args.cleanrl_dir, p["script"]))
    if not os.path.isfile(script):
        sys.exit(f"{script} not found: run scripts/setup-bench-venv.sh")
    peer = f"CleanRL 1.2.0 {p['script']} ({p['env_id']})"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            rows.append(("fleet " + os.path.basename(p["config"]), seed,
                         run_fleet(args.build, p["config"], seed, p["steps"], p["threshold"], tmp)))
            rows.append((peer, seed, run_cleanrl(sys.executable, script, p["env_id"], seed,
                                                 p["steps"], p["threshold"], tmp)))
            for name, s, r in rows[-2:]:
                print(f"{name} seed {s}: {r}", file=sys.stderr, flush=True)
    print(f"threshold {p['threshold']:g}, {p['steps']} env steps\n")
    print("| system | seed | threshold_step | threshold_seconds | wall for "
          f"{p['steps']} steps (s) | env steps/s | final mean_return_100 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, seed, r in rows:
        print(f"| {name} | {seed} | {fmt(r['threshold_step'], 'd')} | "
              f"{fmt(r['threshold_seconds'], '.1f')} | {r['wall_seconds']:.1f} | "
              f"{p['steps'] / r['wall_seconds']:,.0f} | {r['mean_return_100']:.1f} |")
    for name in dict.fromkeys(r[0] for r in rows):
        ws = [r[2]["wall_seconds"] for r in rows if r[0] == name]
        print(f"\nmean wall, {name}: {sum(ws) / len(ws):.1f} s")
        ts = [r[2]["threshold_seconds"] for r in rows if r[0] == name]
        if all(t is not None for t in ts):
            print(f"mean threshold_seconds, {name}: {sum(ts) / len(ts):.2f}")


if __name__ == "__main__":
    main()
