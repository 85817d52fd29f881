"""Fleet's envs as Gymnasium environments: a gymnasium.Env, a gymnasium.vector.VectorEnv
and registrations under the fleet/ namespace.

    import gymnasium as gym
    import fleet_gymnasium  # registers fleet/<id> for every id in fleet.registered_ids()

    env = gym.make("fleet/HalfCheetah-v5")            # fleet.make options as kwargs
    env = gym.make("fleet_gymnasium:fleet/CartPole-v1")  # no import needed first
    vec = gym.make_vec("fleet/CartPole-v1", num_envs=8,
                       vectorization_mode="vector_entry_point", num_threads=2)

Spaces are Gymnasium's Box (fleet's bounds, shape and dtype) and Discrete(n, start);
observations come in the observation space's dtype (fleet's module hands out float32,
the MuJoCo envs' spaces are float64).

Time limits: every fleet env truncates at its own max_episode_steps, as Gymnasium's
TimeLimit would. The registrations therefore leave max_episode_steps None, so that
gymnasium.make adds no second TimeLimit; the made env's spec still reports the limit
(env.spec.max_episode_steps). gymnasium.make(..., max_episode_steps=M) wraps a TimeLimit
that can shorten episodes, never lengthen them.

The vector env is fleet.make_vec: the envs are stepped in C++ (num_threads workers) and
auto-reset in the same step (AutoresetMode.SAME_STEP): an env whose episode ended returns
the next episode's first observation, the final one in info["final_obs"] (masked by
info["_final_obs"]), as Gymnasium's SyncVectorEnv in that mode. Episode statistics come
from gymnasium.wrappers.vector.RecordEpisodeStatistics, as for Gymnasium's own envs.

Only this module needs gymnasium; fleet itself does not.
"""
import copy

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import batch_space

import fleet

__all__ = ["FleetEnv", "FleetVectorEnv", "to_gymnasium_space", "register_envs"]

# Gymnasium 1.1 added AutoresetMode; 1.0's vector API assumes next-step auto-reset and has
# no way to declare another, so there the metadata simply lacks the key.
_AUTORESET_MODE = getattr(gymnasium.vector, "AutoresetMode", None)

# seeds drawn for unseeded resets: below 2**63, so that fleet's seed + i stays in uint64
_SEED_BOUND = 2**63


def to_gymnasium_space(space):
    """Gymnasium's Box or Discrete for one of fleet's (unbatched) spaces."""
    if space.is_discrete:
        return spaces.Discrete(space.n, start=space.start)
    return spaces.Box(low=space.low, high=space.high, shape=tuple(space.shape),
                      dtype=space.dtype)


def _no_render(render_mode):
    if render_mode is not None:
        raise ValueError(f"fleet's envs do not render (render_mode={render_mode!r})")


class FleetEnv(gymnasium.Env):
    """fleet.make(env_id, **options) as a gymnasium.Env."""

    metadata = {"render_modes": []}

    def __init__(self, env_id, render_mode=None, **options):
        _no_render(render_mode)
        self.render_mode = None
        self.fleet_env = fleet.make(env_id, **options)
        self.observation_space = to_gymnasium_space(self.fleet_env.observation_space)
        self.action_space = to_gymnasium_space(self.fleet_env.action_space)
        self._obs_dtype = self.observation_space.dtype
        self._max_episode_steps = self.fleet_env.spec.max_episode_steps
        self._spec = None
        self._reset_once = False

    @property
    def spec(self):
        return self._spec

    @spec.setter
    def spec(self, spec):
        # gymnasium.make sets the registration here; it has no max_episode_steps (see the
        # module docstring), but this env does truncate: say so, as a TimeLimit would.
        if spec is not None and spec.max_episode_steps is None and self._max_episode_steps:
            spec = copy.copy(spec)
            spec.max_episode_steps = self._max_episode_steps
        self._spec = spec

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        if seed is None and not self._reset_once:
            # fleet's envs start from a fixed generator, Gymnasium's from OS entropy:
            # np_random (entropy-seeded by the base class) gives the first seed. Later
            # unseeded resets continue the env's own stream, as in Gymnasium.
            seed = int(self.np_random.integers(_SEED_BOUND))
        self._reset_once = True
        obs, info = self.fleet_env.reset(seed=seed, options=options)
        return np.asarray(obs, dtype=self._obs_dtype), info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.fleet_env.step(np.asarray(action))
        return (np.asarray(obs, dtype=self._obs_dtype), float(reward), bool(terminated),
                bool(truncated), info)

    def close(self):
        self.fleet_env.close()
        super().close()


class FleetVectorEnv(gymnasium.vector.VectorEnv):
    """fleet.make_vec(env_id, num_envs, num_threads=..., **options) as a Gymnasium vector
    env with same-step auto-reset.

    reset(seed=s) seeds env i with s + i (as SyncVectorEnv does); a list of seeds must
    be of that form. Unlike SyncVectorEnv, an unseeded reset reseeds every env (fleet's
    vector env always does), with a base seed from np_random: reproducible after one
    seeded reset, but not a continuation of each env's stream. Rewards are float64
    arrays of float32 values: fleet's vector env keeps them in float32.
    """

    metadata = {"render_modes": []}
    if _AUTORESET_MODE is not None:
        metadata["autoreset_mode"] = _AUTORESET_MODE.SAME_STEP

    def __init__(self, env_id, num_envs=1, *, num_threads=1, render_mode=None,
                 max_episode_steps=None, **options):
        _no_render(render_mode)
        self.render_mode = None
        self.fleet_vec = fleet.make_vec(env_id, num_envs, num_threads=num_threads, **options)
        limit = self.fleet_vec.spec.max_episode_steps
        if max_episode_steps is not None and max_episode_steps != limit:
            raise ValueError(f"{env_id}: fleet's vector env truncates at its own limit "
                             f"({limit}), not at max_episode_steps={max_episode_steps}")
        self.num_envs = self.fleet_vec.num_envs
        self.single_observation_space = to_gymnasium_space(
            self.fleet_vec.single_observation_space)
        self.single_action_space = to_gymnasium_space(self.fleet_vec.single_action_space)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._obs_dtype = self.single_observation_space.dtype

    def reset(self, *, seed=None, options=None):
        if isinstance(seed, (list, tuple)):
            if len(seed) != self.num_envs or any(
                    s != seed[0] + i for i, s in enumerate(seed)):
                raise ValueError("fleet's vector env seeds env i with seed + i: pass one "
                                 f"int or [s, s + 1, ..., s + {self.num_envs - 1}]")
            seed = seed[0]
        super().reset(seed=seed)
        if seed is None:
            seed = int(self.np_random.integers(_SEED_BOUND))
        obs, info = self.fleet_vec.reset(seed=seed, options=options)
        return np.asarray(obs, dtype=self._obs_dtype), info

    def step(self, actions):
        obs, rewards, terminated, truncated, raw = self.fleet_vec.step(np.asarray(actions))
        return (np.asarray(obs, dtype=self._obs_dtype), rewards, terminated, truncated,
                self._translate_info(raw))

    def _translate_info(self, raw):
        """fleet's ended-episode info in SyncVectorEnv's SAME_STEP layout: final_obs an
        object array (None where no episode ended), final_info (the envs' infos, empty in
        fleet), each with its mask. fleet's own "episode" entry is left out: Gymnasium's
        RecordEpisodeStatistics adds that key and refuses an info that has it already."""
        if "_final_obs" not in raw:
            return {}
        mask = np.asarray(raw["_final_obs"], dtype=np.bool_)
        final_obs = np.full(self.num_envs, None, dtype=object)
        for i in np.flatnonzero(mask):
            final_obs[i] = np.asarray(raw["final_obs"][i], dtype=self._obs_dtype)
        return {"final_obs": final_obs, "_final_obs": mask,
                "final_info": {}, "_final_info": mask.copy()}

    def close_extras(self, **kwargs):
        self.fleet_vec.close()


def register_envs():
    """Registers fleet/<id> for every fleet env (idempotent): FleetEnv as entry point,
    FleetVectorEnv as vector entry point, fleet's reward threshold, and no
    max_episode_steps (the env truncates itself)."""
    for env_id in fleet.registered_ids():
        name = f"fleet/{env_id}"
        if name in gymnasium.registry:
            continue
        spec = fleet.make(env_id).spec
        gymnasium.register(
            id=name,
            entry_point=f"{__name__}:FleetEnv",
            vector_entry_point=f"{__name__}:FleetVectorEnv",
            reward_threshold=spec.reward_threshold,
            max_episode_steps=None,
            kwargs={"env_id": env_id},
        )


register_envs()
