// Generalized advantage estimation (Schulman et al. 2016) over one time-major segment of
// T steps x N envs, with episode ends inside the segment. Truncated steps bootstrap from
// the value of the observation the episode ended in, terminated steps from zero.
// Plain C++, no libtorch: the learner calls it between two critic passes.
#pragma once

#include <cstdint>
#include <span>

namespace fleet::learner {

struct GaeInputs {
  int num_steps = 0;  // T
  int num_envs = 0;   // N
  std::span<const float> rewards;      // (T x N)
  std::span<const float> values;       // (T x N), V(s_t)
  std::span<const float> next_values;  // (N), V(s_T) after the segment's last step
  std::span<const uint8_t> terminated;  // (T x N)
  std::span<const uint8_t> truncated;   // (T x N)
  // (T x N): V(final observation) at truncated steps (ignored elsewhere); empty means
  // truncation is treated like termination (CleanRL's behaviour).
  std::span<const float> truncation_values;
  double gamma = 0.99;
  double lambda = 0.95;
};

// Writes advantages and returns (= advantages + values), each (T x N).
void ComputeGae(const GaeInputs& in, std::span<float> advantages, std::span<float> returns);

}  // namespace fleet::learner
