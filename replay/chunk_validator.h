// Checks a received TrajectoryChunk before the store accepts it: array sizes agree with
// the declared shape, the shape matches the run's env, flags are 0/1, values finite, and
// the episode statistics fit the steps: one return and one length per ended episode,
// lengths at least the episode's steps in the chunk and within the env's limit, finite
// returns; for an episode that began inside the chunk, length and return exactly those
// of its steps.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "common/status.h"
#include "proto/fleet.pb.h"

namespace fleet::replay {

struct ChunkExpectations {
  std::string env_id;
  int obs_dim = 0;
  // 0 for discrete action spaces.
  int action_dim = 0;
  // discrete: actions must lie in [0, num_actions).
  int num_actions = 0;
  // chunks must carry the behaviour policy's log-probs / value estimates (a recording
  // store that records them, a PPO learner).
  bool require_logprobs = false;
  bool require_values = false;
  // the env's time limit (0: none): no episode is longer
  int max_episode_steps = 0;
  // the env's per-step reward range (envs::EnvSpec): rewards and returns must fit it
  double reward_min = -std::numeric_limits<double>::infinity();
  double reward_max = std::numeric_limits<double>::infinity();
};

// InvalidArgument naming the first problem found.
Status ValidateChunk(const proto::TrajectoryChunk& chunk, const ChunkExpectations& expect);

}  // namespace fleet::replay
