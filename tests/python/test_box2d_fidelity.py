"""Fleet's Box2D bodies and joints against Gymnasium's, through what an agent observes.

pybox2d's revoluteJointDef sets referenceAngle = bodyB.angle - bodyA.angle when Gymnasium
leaves it out, so its joint angles (and joint limits) count from the pose the bodies were
made in (BipedalWalker's upper legs and LunarLander's legs at +-0.05 rad). Fleet once left
it at 0: the hip angles read 0.05 off, LunarLander's legs stopped 0.05 rad wider (0.40 vs
0.35 rad) and Gymnasium's walking heuristic stopped falling. These tests catch that class of
mismatch; Box2D 2.3 (pybox2d) vs Fleet's 2.4.1 keeps trajectories from agreeing step for
step, so they compare means and rates, not episodes.

Needs gymnasium (scripts/setup-test-venv.sh installs it into .venv).
"""
import types
import unittest

import gymnasium as gym
import numpy as np
from gymnasium.envs.box2d.bipedal_walker import BipedalWalkerHeuristics
from gymnasium.envs.box2d.lunar_lander import heuristic as lander_heuristic

import fleet


def walker_episode(env, seed):
    """Gymnasium's BipedalWalker heuristic as its demo runs it: (return, fell)."""
    obs, _ = env.reset(seed=seed)
    controller, action, total = BipedalWalkerHeuristics(), np.zeros(4), 0.0
    while True:
        obs, reward, terminated, truncated, _ = env.step(action)
        total += reward
        action = controller.step_heuristic(obs)
        if terminated or truncated:
            return total, bool(terminated and reward == -100)


def lander_resting_heights(env, seeds):
    """y (obs[1]) at which the heuristic's lander comes to rest, for landings on the pad."""
    ctx = types.SimpleNamespace(unwrapped=types.SimpleNamespace(continuous=False))
    heights = []
    for seed in seeds:
        obs, _ = env.reset(seed=seed)
        while True:
            obs, reward, terminated, truncated, _ = env.step(lander_heuristic(ctx, obs))
            if terminated or truncated:
                break
        # asleep (+100) with both legs on the flat pad (it spans x in +-0.2, the legs
        # reach 0.07 either side): the height is then set by the legs' angle alone
        if terminated and reward == 100 and abs(obs[0]) < 0.12:
            heights.append(obs[1])
    return np.array(heights)


class Box2DFidelityTest(unittest.TestCase):
    def test_bipedal_walker_reset_joint_angles(self):
        """Hip (obs 4, 9) and knee (obs 6, 11) angles right after reset, mean over seeds 0-19,
        within 0.01 of Gymnasium's (the hips were 0.05 off without the reference angle)."""
        g, f = gym.make("BipedalWalker-v3"), fleet.make("BipedalWalker-v3")
        cols = [4, 9, 6, 11]
        g_obs = np.array([g.reset(seed=s)[0] for s in range(20)])[:, cols].mean(axis=0)
        f_obs = np.array([f.reset(seed=s)[0] for s in range(20)])[:, cols].mean(axis=0)
        np.testing.assert_allclose(f_obs, g_obs, atol=0.01)

    def test_lunar_lander_resting_height(self):
        """The lander at rest on the pad stands as high as Gymnasium's: median obs[1] within
        0.003 (Fleet's legs are not observable; 0.05 rad wider legs set it 0.0056 lower)."""
        seeds = range(100)
        g = lander_resting_heights(gym.make("LunarLander-v3"), seeds)
        f = lander_resting_heights(fleet.make("LunarLander-v3"), seeds)
        # ~80 of 100 land on the pad; the spread within one implementation is ~0.001
        self.assertGreater(len(g), 50)
        self.assertGreater(len(f), 50)
        self.assertAlmostEqual(np.median(f), np.median(g), delta=0.003)

    def test_bipedal_walker_heuristic_falls(self):
        """Gymnasium's walking heuristic falls in most episodes (Gymnasium: 72% of seeds 0-99,
        mean return 121); with the hip limits shifted it walked (7% falls, return 294)."""
        env = fleet.make("BipedalWalker-v3")
        returns, fell = zip(*(walker_episode(env, seed) for seed in range(100)))
        self.assertGreater(np.mean(fell), 0.5)
        self.assertLess(np.mean(returns), 200.0)


if __name__ == "__main__":
    unittest.main()
