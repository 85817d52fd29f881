"""Drives every registered env through the `fleet` Python module (Gymnasium 1.x API).

Run: PYTHONPATH=build/python python3 -m unittest discover -s tests/python
"""
import unittest

import numpy as np

import fleet

CLASSIC = ["Acrobot-v1", "CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0",
           "Pendulum-v1"]


class EveryEnvTest(unittest.TestCase):
    def test_every_registered_env_runs_an_episode(self):
        ids = fleet.registered_ids()
        for env_id in CLASSIC:
            self.assertIn(env_id, ids)
        for env_id in ids:
            with self.subTest(env=env_id):
                env = fleet.make(env_id)
                obs, info = env.reset(seed=123)
                self.assertIsInstance(info, dict)
                self.assertEqual(obs.dtype, np.float32)
                self.assertEqual(obs.shape, env.observation_space.shape)
                env.action_space.seed(1)
                steps = 0
                while True:
                    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
                    steps += 1
                    self.assertIsInstance(reward, float)
                    self.assertTrue(np.all(np.isfinite(obs)))
                    if terminated or truncated:
                        break
                self.assertLessEqual(steps, env.spec.max_episode_steps)
                if truncated:
                    self.assertEqual(steps, env.spec.max_episode_steps)

    def test_same_seed_same_episode(self):
        for env_id in fleet.registered_ids():
            with self.subTest(env=env_id):
                a, b = fleet.make(env_id), fleet.make(env_id)
                oa, _ = a.reset(seed=5)
                ob, _ = b.reset(seed=5)
                np.testing.assert_array_equal(oa, ob)
                a.action_space.seed(3)
                for t in range(50):
                    act = a.action_space.sample()
                    ra, rb = a.step(act), b.step(act)
                    np.testing.assert_array_equal(ra[0], rb[0])
                    self.assertEqual(ra[1:4], rb[1:4])
                    if ra[2] or ra[3]:
                        np.testing.assert_array_equal(a.reset(seed=t)[0], b.reset(seed=t)[0])

    def test_spaces(self):
        env = fleet.make("CartPole-v1")
        self.assertTrue(env.action_space.is_discrete)
        self.assertEqual(env.action_space.n, 2)
        self.assertEqual(env.observation_space.shape, (4,))
        self.assertEqual(env.observation_space.dtype, np.float32)
        self.assertAlmostEqual(float(env.observation_space.high[0]), 4.8, places=5)
        self.assertEqual(env.spec.reward_threshold, 475.0)
        pend = fleet.make("Pendulum-v1")
        self.assertEqual(pend.action_space.shape, (1,))
        np.testing.assert_allclose(pend.action_space.low, [-2.0])
        self.assertIsNone(pend.spec.reward_threshold)

    def test_state_get_and_set(self):
        env = fleet.make("CartPole-v1")
        env.reset(seed=0)
        env.unwrapped.state = np.array([0.1, 0.0, 0.0, 0.0])
        np.testing.assert_array_equal(env.unwrapped.state, [0.1, 0.0, 0.0, 0.0])
        obs, *_ = env.step(1)
        self.assertAlmostEqual(float(obs[0]), 0.1, places=6)
        with self.assertRaises(ValueError):
            env.unwrapped.state = np.zeros(3)

    def test_bad_input_raises_value_error(self):
        env = fleet.make("CartPole-v1")
        env.reset(seed=0)
        before = env.unwrapped.state.copy()
        for bad in (2, -1, 0.5, float("nan"), [0, 1]):
            with self.subTest(action=bad), self.assertRaises(ValueError):
                env.step(bad)
        np.testing.assert_array_equal(env.unwrapped.state, before)
        pend = fleet.make("Pendulum-v1")
        pend.reset(seed=0)
        with self.assertRaises(ValueError):
            pend.step(np.array([0.0, 1.0]))
        with self.assertRaises(ValueError):
            pend.step(np.array([np.nan]))
        with self.assertRaises(ValueError) as ctx:
            fleet.make("CartPole-v9")
        self.assertIn("CartPole-v1", str(ctx.exception))
        with self.assertRaises(ValueError) as ctx:
            fleet.make("Pendulum-v1", gravity=3.0)
        self.assertIn("gravity", str(ctx.exception))

    def test_step_order_is_enforced(self):
        # Gymnasium's OrderEnforcing: no step before reset; and none after the episode ended
        env = fleet.make("CartPole-v1")
        with self.assertRaises(fleet.ResetNeeded) as ctx:
            env.step(0)
        self.assertIn("reset() before the first step()", str(ctx.exception))
        self.assertTrue(issubclass(fleet.ResetNeeded, RuntimeError))
        env.reset(seed=0)
        terminated = truncated = False
        while not (terminated or truncated):
            _, _, terminated, truncated, _ = env.step(1)
        with self.assertRaises(fleet.ResetNeeded) as ctx:
            env.step(1)
        self.assertIn("the episode ended", str(ctx.exception))
        env.reset(seed=1)
        env.step(0)  # fine again
        vec = fleet.make_vec("CartPole-v1", 2)
        with self.assertRaises(fleet.ResetNeeded):
            vec.step(np.zeros(2, dtype=np.int64))

    def test_non_finite_options_raise_value_error(self):
        for bad in (float("nan"), float("inf")):
            with self.subTest(g=bad), self.assertRaises(ValueError) as ctx:
                fleet.make("Pendulum-v1", g=bad)
            self.assertIn("not a finite number", str(ctx.exception))

    def test_options_are_keyword_arguments(self):
        env = fleet.make("CartPole-v1", sutton_barto_reward=True)
        env.reset(seed=0)
        _, reward, *_ = env.step(0)
        self.assertEqual(reward, 0.0)


class VectorEnvTest(unittest.TestCase):
    def test_batched_step_and_same_step_autoreset(self):
        vec = fleet.make_vec("CartPole-v1", 4)
        self.assertEqual(vec.num_envs, 4)
        self.assertEqual(vec.observation_space.shape, (4, 4))
        obs, _ = vec.reset(seed=0)
        self.assertEqual(obs.shape, (4, 4))
        single = fleet.make("CartPole-v1")
        o1, _ = single.reset(seed=2)
        np.testing.assert_array_equal(obs[2], o1)  # env i is seeded with seed + i
        ended = 0
        for _ in range(200):
            obs, rew, term, trunc, info = vec.step(np.ones(4, dtype=np.int64))
            self.assertEqual(rew.dtype, np.float64)
            self.assertEqual(term.dtype, np.bool_)
            if term.any():
                ended += int(term.sum())
                mask = info["_final_obs"]
                np.testing.assert_array_equal(mask, term | trunc)
                # the final observation is out of bounds, the returned one a fresh reset.
                self.assertTrue(np.all(np.abs(info["final_obs"][mask][:, 2]) > 0.2094)
                                or np.all(np.abs(info["final_obs"][mask][:, 0]) > 2.4))
                self.assertTrue(np.all(np.abs(obs[mask]) <= 0.05))
                self.assertTrue(np.all(info["episode"]["l"][mask] > 0))
        self.assertGreater(ended, 0)

    def test_wrong_number_of_actions(self):
        vec = fleet.make_vec("CartPole-v1", 3)
        vec.reset(seed=0)
        with self.assertRaises(ValueError):
            vec.step(np.zeros(2, dtype=np.int64))
        with self.assertRaises(ValueError) as ctx:
            vec.step(np.array([0, 1, 7]))
        self.assertIn("env 2", str(ctx.exception))


if __name__ == "__main__":
    unittest.main()
