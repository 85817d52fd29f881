#!/usr/bin/env python3
"""Env steps/s of every env Fleet shares with EnvPool, in one run, each measurement a
process pinned to the same core (`taskset -c CORE`), one env after the other:

- Fleet in C++ (build/benchmarks/env_bench): one env (Single/<id>), VectorEnv(8) on one
  thread (Vector8/<id>), and for MuJoCo envs the raw physics (RawMujoco/<id>: frame_skip x
  mj_step with random controls on the env's own model, nothing else);
- from Python, 8 envs batched, random actions drawn in advance, resets on episode end
  inside the vector env: fleet.make_vec(id, 8); the same through the Gymnasium adapter
  (gymnasium.make_vec("fleet/<id>", 8, vectorization_mode="vector_entry_point"), a real
  gymnasium.vector.VectorEnv); EnvPool (the speed peer, from PyPI:
  envpool.make_gymnasium(id, num_envs=8, batch_size=8, num_threads=1), synchronous).

Prints a markdown table for docs/RESULTS.md. EnvPool runs in its own venv (.venv-envpool,
made by scripts/setup-bench-venv.sh: its wheels want a newer numpy than Debian's), the
Fleet columns in .venv (scripts/setup-test-venv.sh: Gymnasium for the adapter).

  scripts/setup-bench-venv.sh && scripts/setup-test-venv.sh
  python3 benchmarks/env_speed_vs_envpool.py [--core 0] [--steps 20000] [--envs ID ...]

`--measure KIND ID STEPS` is the inner mode: one Python measurement, its rate on stdout.
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MUJOCO = ["Ant-v5", "HalfCheetah-v5", "Hopper-v5", "Humanoid-v5", "HumanoidStandup-v5",
          "InvertedDoublePendulum-v5", "InvertedPendulum-v5", "Pusher-v5", "Reacher-v5",
          "Swimmer-v5", "Walker2d-v5"]
BOX2D = ["LunarLander-v3", "LunarLanderContinuous-v3", "BipedalWalker-v3",
         "BipedalWalkerHardcore-v3"]
CLASSIC = ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0",
           "Pendulum-v1"]
N = 8


def measure(kind, env_id, steps, n):
    """One Python measurement: n envs, `steps` batched steps after a warm-up of 100."""
    import warnings
    warnings.filterwarnings("ignore")  # EnvPool's seed notice, Gymnasium's float32 casts
    import numpy as np
    if kind == "envpool":
        import envpool
        vec = envpool.make_gymnasium(env_id, num_envs=n, batch_size=n, num_threads=1, seed=0)
        space = vec.action_space
        discrete = getattr(space, "n", None)
    elif kind == "fleet":
        import fleet
        vec = fleet.make_vec(env_id, n)
        space = vec.single_action_space  # a fleet.Space
        discrete = space.n if space.is_discrete else None
    elif kind == "adapter":
        import gymnasium as gym
        import fleet_gymnasium  # noqa: F401  (registers fleet/<id>)
        vec = gym.make_vec(f"fleet/{env_id}", n, vectorization_mode="vector_entry_point")
        space = vec.single_action_space
        discrete = getattr(space, "n", None)
    else:
        raise SystemExit(f"unknown kind {kind}")
    if not discrete:
        low = np.asarray(space.low, dtype=np.float32)
        high = np.asarray(space.high, dtype=np.float32)
        if low.ndim == 2:  # a batched Box
            low, high = low[0], high[0]
    rng = np.random.default_rng(0)
    total = steps + 100
    if discrete:
        actions = rng.integers(0, int(discrete), size=(total, n))
    else:
        actions = rng.uniform(low, high, size=(total, n) + low.shape).astype(np.float32)
    vec.reset(seed=0)
    for a in actions[:100]:
        vec.step(a)
    start = time.perf_counter()
    for a in actions[100:]:
        vec.step(a)
    return steps * n / (time.perf_counter() - start)


def pinned(core, cmd, env=None):
    out = subprocess.run(["taskset", "-c", str(core)] + cmd, capture_output=True, text=True,
                         env=env, cwd=ROOT)
    if out.returncode != 0:
        return None, out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"
    return out.stdout, None


def cpp_rates(core, env_id, min_time):
    """Single, Vector8 and RawMujoco steps/s from env_bench, one process."""
    pattern = "^(Single|Vector8|RawMujoco)/" + env_id.replace(".", "\\.") + "$"
    out, err = pinned(core, [os.path.join(ROOT, "build/benchmarks/env_bench"),
                             "--benchmark_filter=" + pattern, "--benchmark_format=json",
                             f"--benchmark_min_time={min_time}"])
    if out is None:
        raise SystemExit(f"env_bench failed on {env_id}: {err}")
    rates = {}
    for b in json.loads(out)["benchmarks"]:
        rates[b["name"].split("/")[0]] = b["steps/s"]
    return rates


def python_rate(core, kind, env_id, steps, n):
    if kind == "envpool":
        py = os.path.join(ROOT, ".venv-envpool/bin/python")
        env = dict(os.environ)
    else:
        py = os.path.join(ROOT, ".venv/bin/python")
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "build/python"))
    out, err = pinned(core, [py, os.path.abspath(__file__), "--measure", kind, env_id,
                             str(steps), "--num-envs", str(n)], env=env)
    return (float(out.strip()), None) if out is not None else (None, err)


def fmt(x):
    return "-" if x is None else f"{x:,.0f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--measure", nargs=3, metavar=("KIND", "ID", "STEPS"))
    ap.add_argument("--core", type=int, default=0)
    ap.add_argument("--steps", type=int, default=20000, help="batched Python steps per env")
    ap.add_argument("--num-envs", type=int, default=N, help="envs per Python vector env")
    ap.add_argument("--min-time", default="2", help="env_bench's --benchmark_min_time")
    ap.add_argument("--envs", nargs="*", default=MUJOCO + BOX2D + CLASSIC)
    args = ap.parse_args()
    if args.measure:
        kind, env_id, steps = args.measure
        print(measure(kind, env_id, int(steps), args.num_envs))
        return
    version, err = pinned(args.core, [os.path.join(ROOT, ".venv-envpool/bin/python"), "-c",
                                      "import envpool; print(envpool.__version__)"])
    print(f"EnvPool {version.strip() if version else '? (' + str(err) + ')'}; core {args.core}; "
          f"{args.steps} batched steps of {args.num_envs} envs from Python; env_bench min_time {args.min_time}",
          file=sys.stderr)
    print("| env | C++ one env | raw physics | one env / raw | C++ VectorEnv(8) | "
          f"fleet.make_vec({args.num_envs}) | through the Gymnasium adapter | "
          f"EnvPool ({args.num_envs}, 1 thread) | "
          "fleet.make_vec / EnvPool |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for env_id in args.envs:
        cpp = cpp_rates(args.core, env_id, args.min_time)
        fl, _ = python_rate(args.core, "fleet", env_id, args.steps, args.num_envs)
        ad, _ = python_rate(args.core, "adapter", env_id, args.steps, args.num_envs)
        ep, ep_err = python_rate(args.core, "envpool", env_id, args.steps, args.num_envs)
        if ep_err:
            print(f"{env_id}: EnvPool failed: {ep_err}", file=sys.stderr)
        single, raw = cpp.get("Single"), cpp.get("RawMujoco")
        ratio = f"{100 * single / raw:.0f}%" if single and raw else "-"
        vs = f"{fl / ep:.2f}x" if fl and ep else "-"
        print(f"| {env_id} | {fmt(single)} | {fmt(raw)} | {ratio} | {fmt(cpp.get('Vector8'))} | "
              f"{fmt(fl)} | {fmt(ad)} | {fmt(ep)} | {vs} |", flush=True)


if __name__ == "__main__":
    main()
