"""`fleet dataset export --format minari` writes what Minari itself loads: a small
`fleet collect` dataset (CartPole discrete and HalfCheetah continuous), exported and read
back with minari.MinariDataset, step for step equal to the source shards read with h5py.
Needs minari (scripts/setup-test-venv.sh) and FLEET_BIN (ctest sets it)."""
import glob
import os
import subprocess
import tempfile
import unittest

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
    def check(self, config, sets, obs_dim):
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
            # exporting onto an existing dataset is refused, naming it.
            again = subprocess.run([os.environ["FLEET_BIN"], "dataset", "export",
                                    os.path.join(run, "dataset"), out],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            self.assertNotEqual(again.returncode, 0)
            self.assertIn("already exists", again.stdout)

    def test_discrete_cartpole(self):
        self.check("cartpole_random_collect.yaml",
                   ["--set", "collect.episodes=60", "--set", "env.num_envs=4",
                    "--set", "actors.steps_per_chunk=32"], 4)

    def test_continuous_halfcheetah(self):
        self.check("cartpole_random_collect.yaml",
                   ["--set", "env.id=HalfCheetah-v5", "--set", "collect.episodes=0",
                    "--set", "collect.steps=3000", "--set", "env.num_envs=2",
                    "--set", "actors.steps_per_chunk=500"], 17)


if __name__ == "__main__":
    unittest.main()
