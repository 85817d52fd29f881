"""Fleet's Box2D envs against Gymnasium's, each driven by Gymnasium's own heuristic controller.

Controllers, imported from the installed gymnasium (the oracle, not re-implemented here):
  LunarLander-v3, LunarLanderContinuous-v3  gymnasium.envs.box2d.lunar_lander.heuristic
  BipedalWalker-v3, BipedalWalkerHardcore-v3  gymnasium.envs.box2d.bipedal_walker
      .BipedalWalkerHeuristics, run as its __main__ demo does: zero action on the first step,
      then step_heuristic(obs), a fresh instance per episode.

For each env and implementation: N episodes, seeds 0..N-1, one after the other in this one
single-threaded process (taskset -c keeps it to one core). Reported: mean return +- standard
error, failure rate +- binomial standard error (an episode terminated with reward exactly
-100: BipedalWalker's fall or walk off the left edge, LunarLander's crash or flight out of
bounds), mean episode length, wall-clock (CPU seconds in the JSON); and Fleet minus
Gymnasium: the difference of mean returns in standard errors (Welch) and of the failure
rates in points. Fleet seeds its own generator and Gymnasium numpy's, so seed k is
not the same terrain or initial push in the two: the samples are independent, not paired.

Usage: PYTHONPATH=build/python taskset -c 0 .venv/bin/python benchmarks/box2d_heuristics.py
       [--envs LunarLander-v3,BipedalWalker-v3] [--episodes 1000] [--json OUT]
"""
import argparse
import json
import math
import platform
import time
import types

import gymnasium as gym
import numpy as np
from gymnasium.envs.box2d.bipedal_walker import BipedalWalkerHeuristics
from gymnasium.envs.box2d.lunar_lander import heuristic as lander_heuristic

import fleet

ENVS = ["LunarLander-v3", "LunarLanderContinuous-v3", "BipedalWalker-v3",
        "BipedalWalkerHardcore-v3"]


def run_episode(env, env_id, seed):
    """One episode under the env's heuristic: (return, length, failed)."""
    obs, _ = env.reset(seed=seed)
    walker = env_id.startswith("BipedalWalker")
    if walker:
        controller = BipedalWalkerHeuristics()
        action = np.zeros(4)
    else:
        # lunar_lander.heuristic reads only env.unwrapped.continuous from the env
        ctx = types.SimpleNamespace(unwrapped=types.SimpleNamespace(
            continuous=env_id == "LunarLanderContinuous-v3"))
    total, length = 0.0, 0
    while True:
        if not walker:
            action = lander_heuristic(ctx, obs)
        obs, reward, terminated, truncated, _ = env.step(action)
        total += float(reward)
        length += 1
        if walker:
            action = controller.step_heuristic(obs)
        if terminated or truncated:
            return total, length, bool(terminated and float(reward) == -100.0)


def run(make, env_id, episodes):
    """Episodes with seeds 0..episodes-1 on a fresh env, timed."""
    env = make(env_id)
    start, start_cpu = time.perf_counter(), time.process_time()
    rows = [run_episode(env, env_id, seed) for seed in range(episodes)]
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    returns = np.array([r[0] for r in rows])
    lengths = np.array([r[1] for r in rows])
    failed = np.array([r[2] for r in rows])
    n = len(rows)
    p = failed.mean()
    return dict(episodes=n, mean=returns.mean(), se=returns.std(ddof=1) / math.sqrt(n),
                fail=p, fail_se=math.sqrt(p * (1 - p) / n), mean_len=lengths.mean(),
                wall_s=wall, cpu_s=cpu, returns=returns.tolist(), lengths=lengths.tolist(),
                failed=failed.astype(int).tolist())


def compare(f, g):
    """Fleet minus Gymnasium: Welch z of the means, failure-rate difference in points."""
    se = math.sqrt(f["se"] ** 2 + g["se"] ** 2)
    return dict(mean_diff=f["mean"] - g["mean"],
                welch_z=(f["mean"] - g["mean"]) / se if se > 0 else 0.0,
                fail_diff_pts=100 * (f["fail"] - g["fail"]),
                fail_diff_se_pts=100 * math.sqrt(f["fail_se"] ** 2 + g["fail_se"] ** 2))


def table(results):
    lines = [
        "| env | episodes | Gymnasium return | Fleet return | difference (Welch, SEs) "
        "| Gymnasium failures % | Fleet failures % | difference (points) "
        "| Gymnasium mean length | Fleet mean length | wall s Gymnasium / Fleet |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for env_id, r in results.items():
        g, f, d = r["gymnasium"], r["fleet"], r["diff"]
        episodes = str(g["episodes"]) if g["episodes"] == f["episodes"] else \
            f"{g['episodes']} / {f['episodes']}"
        lines.append(
            f"| {env_id} | {episodes} | {g['mean']:.1f} ± {g['se']:.1f} "
            f"| {f['mean']:.1f} ± {f['se']:.1f} | {d['mean_diff']:+.1f} ({d['welch_z']:+.2f}) "
            f"| {100 * g['fail']:.1f} ± {100 * g['fail_se']:.1f} "
            f"| {100 * f['fail']:.1f} ± {100 * f['fail_se']:.1f} "
            f"| {d['fail_diff_pts']:+.1f} ± {d['fail_diff_se_pts']:.1f} "
            f"| {g['mean_len']:.1f} | {f['mean_len']:.1f} "
            f"| {g['wall_s']:.1f} / {f['wall_s']:.1f} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--envs", type=lambda s: s.split(","), default=ENVS,
                        help="comma-separated env ids (default: all four)")
    parser.add_argument("--episodes", type=int, default=1000, help="per env and implementation")
    parser.add_argument("--json", metavar="OUT", help="write the results, per-episode included")
    args = parser.parse_args()
    unknown = [e for e in args.envs if e not in ENVS]
    if unknown:
        parser.error(f"unknown env(s) {unknown}; choose from {ENVS}")

    results = {}
    for env_id in args.envs:
        g = run(gym.make, env_id, args.episodes)
        f = run(fleet.make, env_id, args.episodes)
        results[env_id] = dict(gymnasium=g, fleet=f, diff=compare(f, g))
        # CPU seconds next to wall-clock show when another load shared the core
        print(f"{env_id}: {args.episodes} episodes each, wall (CPU) Gymnasium {g['wall_s']:.1f} s "
              f"({g['cpu_s']:.1f}), Fleet {f['wall_s']:.1f} s ({f['cpu_s']:.1f})", flush=True)

    print()
    print(table(results))
    print()
    print(f"Gymnasium {gym.__version__} (pybox2d, Box2D 2.3) vs Fleet (Box2D 2.4.1); "
          "controllers from gymnasium.envs.box2d; seeds 0..N-1 in both, but the two use "
          "different random streams, so seeds are not paired (independent samples). ± is one "
          "standard error (binomial for failure rates); failure = terminated with reward -100; "
          "difference = Fleet - Gymnasium, in standard errors for returns (Welch) and in points "
          f"for failures. One process, one core ({platform.node()}, "
          f"Python {platform.python_version()}).")
    if args.json:
        meta = dict(gymnasium=gym.__version__, episodes=args.episodes, host=platform.node(),
                    seeds=f"0..{args.episodes - 1} (not paired)")
        with open(args.json, "w") as out:
            json.dump(dict(meta=meta, results=results), out)


if __name__ == "__main__":
    main()
