// A batch of transitions (s, a, r, s', terminated), what the transition samplers
// (transition_table.h, episode_transition_sampler.h) hand an off-policy learner.
#pragma once

#include <cstdint>
#include <vector>

namespace fleet::replay {

struct TransitionBatch {
  int size = 0;
  std::vector<float> obs, actions, rewards, next_obs;  // discrete actions as floats
  std::vector<uint8_t> terminated;

  // sizes every array for `n` transitions of obs_dim floats and action_width floats.
  void Resize(int n, int obs_dim, int action_width) {
    size = n;
    obs.resize(static_cast<size_t>(n) * obs_dim);
    next_obs.resize(static_cast<size_t>(n) * obs_dim);
    actions.resize(static_cast<size_t>(n) * action_width);
    rewards.resize(n);
    terminated.resize(n);
  }
};

}  // namespace fleet::replay
