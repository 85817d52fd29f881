#!/usr/bin/env python3
"""Runs one of CleanRL 1.2.0's single-file scripts unmodified on a Gymnasium MuJoCo env.

CleanRL 1.2.0's sac_continuous_action.py is written for gym 0.23.1's API (reset returns
the observation, step returns (obs, reward, done, info), vector infos are a list of
dicts with "terminal_observation"), whose MuJoCo envs are the mujoco-py v2/v3 ones, which
need MuJoCo 2.1 binaries that PyPI does not carry. This launcher registers, in gym,
`GymnasiumMujoco/<ID>` for Gymnasium's `<ID>` (gymnasium 0.28.1 + mujoco 2.3.3 in
.venv-bench), seen through gym's old API: done = terminated or truncated, and a
truncation flagged as TimeLimit.truncated (what gym's TimeLimit did). Then it runs the
script as __main__ with the remaining arguments.

  .venv-bench/bin/python benchmarks/cleanrl_gymnasium_launch.py SCRIPT --env-id GymnasiumMujoco/HalfCheetah-v4 ...
"""
import runpy
import sys

import gym
import gymnasium
import numpy as np


class OldApi(gym.Env):
    def __init__(self, env_id):
        self._env = gymnasium.make(env_id)
        o, a = self._env.observation_space, self._env.action_space
        self.observation_space = gym.spaces.Box(o.low, o.high, o.shape, np.float32)
        self.action_space = gym.spaces.Box(a.low, a.high, a.shape, np.float32)
        self._seed = None

    def seed(self, seed=None):
        self._seed = seed
        self.action_space.seed(seed)
        self.observation_space.seed(seed)
        return [seed]

    def reset(self, **kwargs):
        seed = kwargs.pop("seed", None)
        if seed is None:
            seed, self._seed = self._seed, None
        obs, _ = self._env.reset(seed=seed)
        return obs.astype(np.float32)

    def step(self, action):
        obs, reward, terminated, truncated, info = self._env.step(action)
        info = dict(info)
        if truncated and not terminated:
            info["TimeLimit.truncated"] = True
        return obs.astype(np.float32), float(reward), bool(terminated or truncated), info


def main():
    for env_id in ("HalfCheetah-v4", "Hopper-v4", "Walker2d-v4"):
        gym.envs.registration.register(id="GymnasiumMujoco/" + env_id,
                                       entry_point=lambda env_id=env_id: OldApi(env_id))
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
