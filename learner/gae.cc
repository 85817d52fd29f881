#include "learner/gae.h"

#include "common/status.h"

namespace fleet::learner {

void ComputeGae(const GaeInputs& in, std::span<float> advantages, std::span<float> returns) {
  const int T = in.num_steps, N = in.num_envs;
  const size_t steps = static_cast<size_t>(T) * N;
  FLEET_CHECK(in.rewards.size() == steps && in.values.size() == steps);
  FLEET_CHECK(in.next_values.size() == static_cast<size_t>(N));
  FLEET_CHECK(in.terminated.size() == steps && in.truncated.size() == steps);
  FLEET_CHECK(in.truncation_values.empty() || in.truncation_values.size() == steps);
  FLEET_CHECK(advantages.size() == steps && returns.size() == steps);
  const bool bootstrap_truncated = !in.truncation_values.empty();
  for (int e = 0; e < N; ++e) {
    double last_adv = 0.0;
    for (int t = T - 1; t >= 0; --t) {
      const size_t i = static_cast<size_t>(t) * N + e;
      const bool ended = in.terminated[i] || in.truncated[i];
      double next_value;
      if (in.terminated[i]) {
        next_value = 0.0;
      } else if (in.truncated[i]) {
        next_value = bootstrap_truncated ? in.truncation_values[i] : 0.0;
      } else {
        next_value = (t == T - 1) ? in.next_values[e] : in.values[i + N];
      }
      const double delta = in.rewards[i] + in.gamma * next_value - in.values[i];
      last_adv = delta + (ended ? 0.0 : in.gamma * in.lambda * last_adv);
      advantages[i] = static_cast<float>(last_adv);
      returns[i] = static_cast<float>(last_adv + in.values[i]);
    }
  }
}

}  // namespace fleet::learner
