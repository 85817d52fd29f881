"""Stable-Baselines3 trains on Fleet's envs through fleet_gymnasium.

PPO runs a few thousand steps on gymnasium.make("fleet/CartPole-v1") and on
fleet/Pendulum-v1; SB3's Monitor, which wraps the adapter, must have counted every step
and seen whole episodes (Pendulum's truncated at exactly 200 steps). SB3's own env
checker must pass too.

Runs in .venv-sb3 (SB3 2.4.1 on Debian's torch 1.13 and gymnasium 1.0; made by
scripts/setup-test-venv.sh); skipped where SB3 cannot be imported. One core, well under
a minute.
"""
import unittest

import gymnasium as gym
import numpy as np

from fleet_gymnasium import FleetEnv  # and registers fleet/<id>

try:
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_checker import check_env as sb3_check_env
    from stable_baselines3.common.monitor import Monitor
    NO_SB3 = None
except ImportError as e:
    NO_SB3 = f"no Stable-Baselines3 here ({e}): scripts/setup-test-venv.sh makes .venv-sb3"


def train(env_id, total_timesteps, **ppo_kwargs):
    """PPO on gymnasium.make(env_id); returns the model and SB3's Monitor of the env."""
    model = PPO("MlpPolicy", gym.make(env_id), n_steps=512, batch_size=128, n_epochs=4,
                seed=0, device="cpu", **ppo_kwargs)
    model.learn(total_timesteps=total_timesteps)
    monitor = model.get_env().envs[0]
    return model, monitor


@unittest.skipIf(NO_SB3, NO_SB3)
class Sb3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(1)  # one core: ctest runs other tests beside this one

    def test_sb3_env_checker(self):
        for env_id in ["CartPole-v1", "Pendulum-v1", "HalfCheetah-v5"]:
            with self.subTest(env=env_id):
                sb3_check_env(gym.make(f"fleet/{env_id}").unwrapped, warn=False)

    def test_ppo_cartpole(self):
        model, monitor = train("fleet/CartPole-v1", 3000)
        self.assertIsInstance(monitor, Monitor)
        self.assertIsInstance(monitor.unwrapped, FleetEnv)
        self.assertEqual(monitor.unwrapped.spec.id, "fleet/CartPole-v1")
        self.assertGreaterEqual(model.num_timesteps, 3000)
        # every step SB3 took went through the adapter
        self.assertEqual(monitor.get_total_steps(), model.num_timesteps)
        lengths = monitor.get_episode_lengths()
        self.assertGreater(len(lengths), 10)
        self.assertLessEqual(max(lengths), 500)
        self.assertEqual(monitor.get_episode_rewards(), [float(n) for n in lengths])
        obs, _ = gym.make("fleet/CartPole-v1").reset(seed=1)
        action, _ = model.predict(obs, deterministic=True)
        self.assertIn(int(action), gym.spaces.Discrete(2))

    def test_ppo_pendulum(self):
        model, monitor = train("fleet/Pendulum-v1", 2048)
        self.assertEqual(monitor.get_total_steps(), model.num_timesteps)
        # fleet truncates at its limit, once: ten whole 200-step episodes in 2048 steps
        self.assertEqual(monitor.get_episode_lengths(), [200] * 10)
        rewards = monitor.get_episode_rewards()
        self.assertTrue(all(np.isfinite(r) and r < 0 for r in rewards))
        obs, _ = gym.make("fleet/Pendulum-v1").reset(seed=1)
        action, _ = model.predict(obs, deterministic=True)
        self.assertEqual(action.shape, (1,))


if __name__ == "__main__":
    unittest.main()
