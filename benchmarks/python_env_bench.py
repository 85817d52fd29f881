"""Env steps/s through the Python bindings, next to Gymnasium's own envs in the same run.

For each env: fleet.make_vec(id, 8), the same through the Gymnasium adapter
(gymnasium.make_vec("fleet/<id>", 8, vectorization_mode="vector_entry_point"), a real
gymnasium.vector.VectorEnv: fleet_gymnasium) and gymnasium.make_vec(id, 8,
vectorization_mode="sync"), random actions drawn in advance, `steps` batched steps each.

Usage: PYTHONPATH=build/python .venv/bin/python benchmarks/python_env_bench.py [steps]
"""
import sys
import time

import gymnasium as gym
import numpy as np

import fleet
import fleet_gymnasium  # noqa: F401  (registers fleet/<id>)

ENVS = ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0",
        "Pendulum-v1", "LunarLander-v3", "LunarLanderContinuous-v3", "HalfCheetah-v5",
        "Hopper-v5", "Walker2d-v5", "Swimmer-v5", "InvertedPendulum-v5", "Ant-v5",
        "InvertedDoublePendulum-v5", "Reacher-v5", "Pusher-v5"]
N = 8


def actions_for(space, steps, rng):
    if isinstance(space, gym.spaces.Discrete):
        return rng.integers(0, space.n, size=(steps, N))
    return rng.uniform(space.low, space.high, size=(steps, N) + space.shape).astype(np.float32)


def rate(vec, actions):
    vec.reset(seed=0)
    start = time.perf_counter()
    for a in actions:
        vec.step(a)
    return len(actions) * N / (time.perf_counter() - start)


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    rng = np.random.default_rng(0)
    print(f"| env | fleet.make_vec({N}) steps/s | through fleet_gymnasium steps/s | "
          f"gymnasium sync make_vec({N}) steps/s | fleet / gymnasium | adapter / gymnasium |")
    print("| --- | --- | --- | --- | --- | --- |")
    for env_id in ENVS:
        g = gym.make_vec(env_id, N, vectorization_mode="sync")
        actions = actions_for(g.single_action_space, steps, rng)
        f_rate = rate(fleet.make_vec(env_id, N), actions)
        a_rate = rate(gym.make_vec(f"fleet/{env_id}", N,
                                   vectorization_mode="vector_entry_point"), actions)
        g_rate = rate(g, actions)
        print(f"| {env_id} | {f_rate:,.0f} | {a_rate:,.0f} | {g_rate:,.0f} | "
              f"{f_rate / g_rate:.1f}x | {a_rate / g_rate:.1f}x |")


if __name__ == "__main__":
    main()
