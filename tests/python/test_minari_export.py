"""`fleet dataset export --format minari` writes what Minari itself loads: a small
`fleet collect` dataset (CartPole discrete and HalfCheetah continuous), exported and read
back with minari.MinariDataset, step for step equal to the source shards read with h5py,
and its env_spec equal to Gymnasium's own registration (with the run's env options as
kwargs), so that recover_environment() builds the Gymnasium original.
Needs minari (scripts/setup-test-venv.sh) and FLEET_BIN (ctest sets it)."""
import dataclasses
import glob
import json
import os
import subprocess
import tempfile
import unittest

import gymnasium
import h5py
import minari
import numpy as np

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def fleet(*args):
    return subprocess.run([os.environ["FLEET_BIN"], *args], check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout


def source_episodes(dataset_dir):
    """(obs, actions, rewards, terminals, timeouts, final_obs) per episode, shard order."""
    out = []
    for path in sorted(glob.glob(os.path.join(dataset_dir, "shard-*.h5"))):
        with h5py.File(path, "r") as f:
            obs, act, rew = f["observations"][:], f["actions"][:], f["rewards"][:]
            term, trunc = f["terminals"][:], f["timeouts"][:]
            final = f["episodes/final_observation"][:]
            for e, (s, n) in enumerate(zip(f["episodes/start"][:], f["episodes/length"][:])):
                out.append((obs[s:s + n], act[s:s + n], rew[s:s + n], term[s:s + n],
                            trunc[s:s + n], final[e]))
    return out


class MinariExportTest(unittest.TestCase):
    def check(self, config, sets, obs_dim, env_id, kwargs=None):
        with tempfile.TemporaryDirectory() as tmp:
            run = os.path.join(tmp, "run")
            fleet("collect", os.path.join(ROOT, "configs", config), "--out", run, *sets)
            out = os.path.join(tmp, "minari", "fleet", "test-v0")
            fleet("dataset", "export", "--format", "minari", "--dataset-id", "fleet/test-v0",
                  os.path.join(run, "dataset"), out)
            ds = minari.MinariDataset(os.path.join(out, "data"))
            src = source_episodes(os.path.join(run, "dataset"))
            self.assertEqual(ds.total_episodes, len(src))
            self.assertEqual(ds.total_steps, sum(len(e[2]) for e in src))
            self.assertEqual(ds.observation_space.shape, (obs_dim,))
            for ep, (obs, act, rew, term, trunc, final) in zip(ds.iterate_episodes(), src):
                n = len(rew)
                self.assertEqual(ep.observations.shape, (n + 1, obs_dim))
                np.testing.assert_array_equal(ep.observations[:-1], obs)
                np.testing.assert_array_equal(ep.observations[-1], final)
                np.testing.assert_array_equal(ep.actions, act)
                np.testing.assert_allclose(ep.rewards, rew)
                np.testing.assert_array_equal(ep.terminations, term.astype(bool))
                np.testing.assert_array_equal(ep.truncations, trunc.astype(bool))
                self.assertTrue(ep.terminations[-1] or ep.truncations[-1])
            # MinariDataset's own sampling works on it.
            self.assertEqual(len(ds.sample_episodes(5)), 5)
            # the env spec is Gymnasium's registration of the id, plus the run's options.
            expected = gymnasium.spec(env_id)
            if kwargs:
                expected = dataclasses.replace(expected, kwargs={**expected.kwargs, **kwargs})
            self.assertEqual(json.loads(ds.env_spec.to_json()), json.loads(expected.to_json()))
            env = ds.recover_environment()
            try:
                self.assertEqual(env.spec.id, env_id)
                for k, v in (kwargs or {}).items():
                    self.assertEqual(env.spec.kwargs[k], v)
                obs, _ = env.reset(seed=0)
                self.assertEqual(obs.shape, (obs_dim,))
                self.assertTrue(ds.observation_space.contains(obs.astype(ds.observation_space.dtype)))
            finally:
                env.close()
            # exporting onto an existing dataset is refused, naming it.
            again = subprocess.run([os.environ["FLEET_BIN"], "dataset", "export",
                                    os.path.join(run, "dataset"), out],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            self.assertNotEqual(again.returncode, 0)
            self.assertIn("already exists", again.stdout)

    def test_discrete_cartpole(self):
        self.check("cartpole_random_collect.yaml",
                   ["--set", "collect.episodes=60", "--set", "env.num_envs=4",
                    "--set", "actors.steps_per_chunk=32"], 4, "CartPole-v1")

    def test_continuous_halfcheetah(self):
        self.check("cartpole_random_collect.yaml",
                   ["--set", "env.id=HalfCheetah-v5", "--set", "collect.episodes=0",
                    "--set", "collect.steps=3000", "--set", "env.num_envs=2",
                    "--set", "actors.steps_per_chunk=500"], 17, "HalfCheetah-v5")

    def test_env_options_become_kwargs(self):
        self.check("lunarlander_random_collect.yaml",
                   ["--set", "env.id=LunarLanderContinuous-v3", "--set", "collect.episodes=20",
                    "--set", "env.num_envs=2", "--set", "actors.steps_per_chunk=200",
                    "--set", "env.options.enable_wind=true",
                    "--set", "env.options.wind_power=12.5"], 8, "LunarLanderContinuous-v3",
                   {"enable_wind": True, "wind_power": 12.5})


if __name__ == "__main__":
    unittest.main()
