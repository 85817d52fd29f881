#include "replay/window_sampler.h"

#include <algorithm>
#include <mutex>

namespace fleet::replay {

Status WindowSampler::Sample(std::mt19937_64& rng, Window& w) const {
  std::shared_lock lock(data_.mu_);
  const auto& ends = data_.ends_;
  if (ends.empty()) return FailedPreconditionError("no episodes to sample windows from");
  const int D = data_.obs_dim_, A = data_.action_width_, K = k_;
  // a uniform step picks its episode with probability length / total.
  const int64_t step = std::uniform_int_distribution<int64_t>(0, ends.back() - 1)(rng);
  const int64_t e = std::upper_bound(ends.begin(), ends.end(), step) - ends.begin();
  const int64_t begin = e == 0 ? 0 : ends[e - 1], len = ends[e] - begin;
  const int64_t si = std::uniform_int_distribution<int64_t>(0, len - 1)(rng);
  const int64_t n = std::min<int64_t>(K, len - si);
  const int64_t pad = K - n;
  w.k = K;
  w.episode = e;
  w.obs.assign(static_cast<size_t>(K) * D, 0.0f);
  w.actions.assign(static_cast<size_t>(K) * A, 0.0f);
  w.rewards.assign(K, 0.0f);
  w.returns_to_go.assign(K, 0.0f);
  w.timesteps.assign(K, 0);
  w.mask.assign(K, 0);
  const int64_t g = begin + si;
  std::copy_n(data_.obs_.data() + g * D, n * D, w.obs.data() + pad * D);
  std::copy_n(data_.actions_.data() + g * A, n * A, w.actions.data() + pad * A);
  std::copy_n(data_.rewards_.data() + g, n, w.rewards.data() + pad);
  std::copy_n(data_.rtg_.data() + g, n, w.returns_to_go.data() + pad);
  for (int64_t i = 0; i < n; ++i) {
    w.timesteps[pad + i] = si + i;
    w.mask[pad + i] = 1;
  }
  return OkStatus();
}

}  // namespace fleet::replay
