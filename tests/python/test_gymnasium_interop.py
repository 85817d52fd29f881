"""fleet_gymnasium: Fleet's envs through Gymnasium's own API, checker and wrappers.

Gymnasium's env checker must pass with the same warnings as on Gymnasium's original env;
gymnasium.make("fleet/...") must have the original's spaces and time limit, play the
same episode as fleet.make for one seed, truncate once at the limit and work under
RecordEpisodeStatistics; the vector adapter must step exactly as Gymnasium's
SyncVectorEnv of the single-env adapter does in same-step auto-reset mode.

Needs gymnasium (scripts/setup-test-venv.sh installs it into .venv).
"""
import os
import subprocess
import sys
import unittest
import warnings

import gymnasium as gym
import numpy as np
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode

import fleet
import fleet_gymnasium
from fleet_gymnasium import FleetEnv, FleetVectorEnv

# envs with a Gymnasium original (Box2D and MuJoCo from gymnasium[box2d,mujoco])
CHECKED = ["CartPole-v1", "Pendulum-v1", "LunarLander-v3", "HalfCheetah-v5", "Hopper-v5"]
SPACES = CHECKED + ["Acrobot-v1", "MountainCarContinuous-v0", "LunarLanderContinuous-v3"]


def checker_warnings(env):
    """The messages check_env warns with (it raises on a failure)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env, skip_render_check=True)
    return sorted({str(w.message) for w in caught})


def wrapper_chain(env):
    chain = [env]
    while hasattr(chain[-1], "env"):
        chain.append(chain[-1].env)
    return chain


class SingleEnvTest(unittest.TestCase):
    def test_every_fleet_env_is_registered(self):
        for env_id in fleet.registered_ids():
            spec = gym.spec(f"fleet/{env_id}")
            self.assertEqual(spec.kwargs, {"env_id": env_id})
            self.assertEqual(spec.vector_entry_point, "fleet_gymnasium:FleetVectorEnv")
            self.assertEqual(spec.reward_threshold, fleet.make(env_id).spec.reward_threshold)
        fleet_gymnasium.register_envs()  # again: no duplicates, no override warnings

    def test_check_env_passes_as_on_the_original(self):
        for env_id in CHECKED:
            with self.subTest(env=env_id):
                ours = checker_warnings(gym.make(f"fleet/{env_id}").unwrapped)
                self.assertEqual(ours, checker_warnings(gym.make(env_id).unwrapped))

    def test_check_env_passes_on_fleet_only_envs(self):
        # TicTacToe-v0 has no Gymnasium original: no warnings at all
        self.assertEqual(checker_warnings(gym.make("fleet/TicTacToe-v0").unwrapped), [])

    def test_spaces_and_spec_match_the_original(self):
        for env_id in SPACES:
            with self.subTest(env=env_id):
                ours, theirs = gym.make(f"fleet/{env_id}"), gym.make(env_id)
                self.assertEqual(type(ours.observation_space), type(theirs.observation_space))
                self.assertEqual(ours.observation_space, theirs.observation_space)
                self.assertEqual(ours.action_space, theirs.action_space)
                self.assertEqual(ours.spec.max_episode_steps, theirs.spec.max_episode_steps)
                self.assertEqual(ours.spec.reward_threshold, theirs.spec.reward_threshold)
                obs, _ = ours.reset(seed=0)
                self.assertEqual(obs.dtype, theirs.observation_space.dtype)
                self.assertIn(obs, ours.observation_space)

    def test_fleet_only_env_spaces(self):
        env, raw = gym.make("fleet/TicTacToe-v0"), fleet.make("TicTacToe-v0")
        self.assertEqual(env.action_space, gym.spaces.Discrete(9, start=0))
        self.assertEqual(env.observation_space.dtype, np.float32)
        np.testing.assert_array_equal(env.observation_space.low, raw.observation_space.low)
        np.testing.assert_array_equal(env.observation_space.high, raw.observation_space.high)

    def test_same_seed_same_episodes_as_fleet(self):
        # two episodes: the second one from an unseeded reset, which continues the
        # generator in both (Gymnasium's seeding)
        for env_id in ["Pendulum-v1", "HalfCheetah-v5", "CartPole-v1"]:
            with self.subTest(env=env_id):
                ours, raw = gym.make(f"fleet/{env_id}"), fleet.make(env_id)
                ours.action_space.seed(3)
                for seed in [7, None]:
                    o1, _ = ours.reset(seed=seed)
                    o2, _ = raw.reset(seed=seed)
                    np.testing.assert_array_equal(o1, o2.astype(o1.dtype))
                    for _ in range(300):
                        action = ours.action_space.sample()
                        o1, r1, term1, trunc1, _ = ours.step(action)
                        o2, r2, term2, trunc2, _ = raw.step(action)
                        np.testing.assert_array_equal(o1, o2.astype(o1.dtype))
                        self.assertEqual((r1, term1, trunc1), (r2, term2, trunc2))
                        if term1 or trunc1:
                            break

    def test_first_unseeded_reset_is_random(self):
        # as in Gymnasium (OS entropy), not fleet's fixed initial generator
        a, _ = gym.make("fleet/CartPole-v1").reset()
        b, _ = gym.make("fleet/CartPole-v1").reset()
        self.assertFalse(np.array_equal(a, b))

    def test_options_pass_through(self):
        env = gym.make("fleet/Pendulum-v1", g=9.81)
        self.assertEqual(env.spec.kwargs, {"env_id": "Pendulum-v1", "g": 9.81})
        raw, default = fleet.make("Pendulum-v1", g=9.81), gym.make("fleet/Pendulum-v1")
        for e in (env, raw, default):
            e.reset(seed=1)
        action = np.zeros(1, dtype=np.float32)
        for _ in range(5):
            obs = env.step(action)[0]
            np.testing.assert_array_equal(obs, raw.step(action)[0])
            other = default.step(action)[0]
        self.assertFalse(np.array_equal(obs, other))
        with self.assertRaises(ValueError):
            gym.make("fleet/Pendulum-v1", no_such_option=1)

    def test_truncates_once_at_the_limit(self):
        for kwargs, limit in [({}, 200), ({"max_episode_steps": 50}, 50)]:
            with self.subTest(kwargs=kwargs):
                env = gym.make("fleet/Pendulum-v1", **kwargs)
                self.assertEqual(env.spec.max_episode_steps, limit)
                env.reset(seed=0)
                truncations = []
                for t in range(1, limit + 1):
                    _, _, terminated, truncated, _ = env.step(np.zeros(1, dtype=np.float32))
                    self.assertFalse(terminated)
                    if truncated:
                        truncations.append(t)
                self.assertEqual(truncations, [limit])
        # fleet's own limit: no TimeLimit wrapper on top of it
        chain = wrapper_chain(gym.make("fleet/Pendulum-v1"))
        self.assertFalse(any(isinstance(e, gym.wrappers.TimeLimit) for e in chain))

    def test_record_episode_statistics(self):
        env = gym.wrappers.RecordEpisodeStatistics(gym.make("fleet/CartPole-v1"))
        env.action_space.seed(0)
        env.reset(seed=0)
        for _ in range(3):
            total, length = 0.0, 0
            while True:
                _, reward, terminated, truncated, info = env.step(env.action_space.sample())
                total += reward
                length += 1
                if terminated or truncated:
                    break
            self.assertAlmostEqual(info["episode"]["r"], total)
            self.assertEqual(info["episode"]["l"], length)
            env.reset()
        self.assertEqual(len(env.return_queue), 3)

    def test_make_with_module_prefix_needs_no_import(self):
        code = ("import sys, gymnasium\n"
                "assert 'fleet_gymnasium' not in sys.modules\n"
                "env = gymnasium.make('fleet_gymnasium:fleet/CartPole-v1')\n"
                "print(type(env.unwrapped).__name__, env.reset(seed=0)[0].shape)\n")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=os.environ, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), "FleetEnv (4,)")

    def test_direct_construction(self):
        env = FleetEnv("MountainCar-v0")
        self.assertIsNone(env.spec)
        self.assertEqual(env.action_space, gym.spaces.Discrete(3))
        obs, _ = env.reset(seed=0)
        self.assertIn(obs, env.observation_space)
        with self.assertRaises(ValueError):
            FleetEnv("CartPole-v1", render_mode="rgb_array")


class VectorEnvTest(unittest.TestCase):
    def make_vec(self, env_id, n, **kwargs):
        return gym.make_vec(f"fleet/{env_id}", num_envs=n,
                            vectorization_mode="vector_entry_point", **kwargs)

    def test_spaces_and_metadata(self):
        vec = self.make_vec("CartPole-v1", 4)
        self.assertIsInstance(vec.unwrapped, FleetVectorEnv)
        self.assertEqual(vec.num_envs, 4)
        self.assertEqual(vec.metadata["autoreset_mode"], AutoresetMode.SAME_STEP)
        single = gym.make("CartPole-v1")
        self.assertEqual(vec.single_observation_space, single.observation_space)
        self.assertEqual(vec.single_action_space, single.action_space)
        self.assertEqual(vec.observation_space,
                         gym.vector.utils.batch_space(single.observation_space, 4))
        self.assertEqual(vec.action_space, gym.spaces.MultiDiscrete([2, 2, 2, 2]))
        obs, info = vec.reset(seed=0)
        self.assertEqual((obs.shape, obs.dtype), ((4, 4), np.float32))
        self.assertEqual(info, {})
        obs, rewards, terminated, truncated, _ = vec.step(vec.action_space.sample())
        self.assertEqual(obs.shape, (4, 4))
        for a in (rewards, terminated, truncated):
            self.assertEqual(a.shape, (4,))
        self.assertEqual((terminated.dtype, truncated.dtype), (np.bool_, np.bool_))

        cheetah = FleetVectorEnv("HalfCheetah-v5", 2, num_threads=2)
        self.assertEqual(cheetah.action_space.shape, (2, 6))
        obs, _ = cheetah.reset(seed=0)
        self.assertEqual((obs.shape, obs.dtype), ((2, 17), np.float64))
        self.assertIn(obs, cheetah.observation_space)

    def test_steps_as_sync_vector_env_of_fleet_envs(self):
        # Gymnasium's SyncVectorEnv, same-step mode, over 4 FleetEnvs seeded seed + i:
        # the reference for observations, rewards, ends and the final_obs info layout.
        for env_id, steps in [("CartPole-v1", 300), ("Pendulum-v1", 410)]:
            with self.subTest(env=env_id):
                vec = self.make_vec(env_id, 4)
                ref = gym.make_vec(f"fleet/{env_id}", num_envs=4, vectorization_mode="sync",
                                   vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP})
                o1, _ = vec.reset(seed=11)
                o2, _ = ref.reset(seed=11)
                np.testing.assert_array_equal(o1, o2)
                vec.action_space.seed(5)
                ended = 0
                for _ in range(steps):
                    actions = vec.action_space.sample()
                    o1, r1, te1, tr1, i1 = vec.step(actions)
                    o2, r2, te2, tr2, i2 = ref.step(actions)
                    np.testing.assert_array_equal(o1, o2)
                    # fleet's vector env sums rewards in float32, its single env in float64
                    self.assertEqual(r1.dtype, np.float64)
                    np.testing.assert_allclose(r1, r2, rtol=1e-6)
                    np.testing.assert_array_equal(te1, te2)
                    np.testing.assert_array_equal(tr1, tr2)
                    self.assertEqual(sorted(i1), sorted(i2))
                    if not i1:
                        continue
                    done = te1 | tr1
                    ended += int(done.sum())
                    for key in ("_final_obs", "_final_info"):
                        np.testing.assert_array_equal(i1[key], done)
                        np.testing.assert_array_equal(i1[key], i2[key])
                    self.assertEqual(i1["final_info"], i2["final_info"])
                    self.assertEqual(i1["final_obs"].dtype, object)
                    for k in range(4):
                        if done[k]:
                            np.testing.assert_array_equal(i1["final_obs"][k], i2["final_obs"][k])
                            # the returned observation is the next episode's first one
                            self.assertFalse(np.array_equal(i1["final_obs"][k], o1[k]))
                        else:
                            self.assertIsNone(i1["final_obs"][k])
                self.assertGreater(ended, 4)
                if env_id == "Pendulum-v1":  # all four truncate at 200 and 400
                    self.assertEqual(ended, 8)

    def test_vector_record_episode_statistics(self):
        vec = gym.wrappers.vector.RecordEpisodeStatistics(self.make_vec("CartPole-v1", 3))
        vec.reset(seed=2)
        vec.action_space.seed(2)
        returns, lengths, seen = np.zeros(3), np.zeros(3, dtype=int), 0
        for _ in range(200):
            _, rewards, terminated, truncated, info = vec.step(vec.action_space.sample())
            returns += rewards
            lengths += 1
            done = terminated | truncated
            if done.any():
                np.testing.assert_array_equal(info["_episode"], done)
                np.testing.assert_allclose(info["episode"]["r"][done], returns[done])
                np.testing.assert_array_equal(info["episode"]["l"][done], lengths[done])
                seen += int(done.sum())
                returns[done], lengths[done] = 0.0, 0
        self.assertGreater(seen, 5)

    def test_seeds(self):
        vec = FleetVectorEnv("CartPole-v1", 3)
        a, _ = vec.reset(seed=[4, 5, 6])
        b, _ = vec.reset(seed=4)
        np.testing.assert_array_equal(a, b)
        with self.assertRaises(ValueError):
            vec.reset(seed=[4, 9, 6])
        # unseeded resets after a seeded one are reproducible
        vec.reset(seed=8)
        c, _ = vec.reset()
        vec.reset(seed=8)
        d, _ = vec.reset()
        np.testing.assert_array_equal(c, d)

    def test_default_vectorization_and_limits(self):
        vec = gym.make_vec("fleet/CartPole-v1", num_envs=2)  # the vector entry point
        self.assertIsInstance(vec.unwrapped, FleetVectorEnv)
        with self.assertRaises(ValueError):
            gym.make_vec("fleet/CartPole-v1", num_envs=2, max_episode_steps=100)


if __name__ == "__main__":
    unittest.main()
