#include "replay/episode_transition_sampler.h"

#include <algorithm>
#include <mutex>

namespace fleet::replay {

Status EpisodeTransitionSampler::Sample(int batch, std::mt19937_64& rng,
                                        TransitionBatch& out) const {
  std::shared_lock lock(data_.mu_);
  const auto& ends = data_.ends_;
  if (ends.empty()) return FailedPreconditionError("no episodes to sample transitions from");
  const int D = data_.obs_dim_, A = data_.action_width_;
  out.Resize(batch, D, A);
  std::uniform_int_distribution<int64_t> pick(0, ends.back() - 1);
  for (int b = 0; b < batch; ++b) {
    const int64_t i = pick(rng);
    const int64_t e = std::upper_bound(ends.begin(), ends.end(), i) - ends.begin();
    const bool last = i + 1 == ends[e];
    std::copy_n(data_.obs_.data() + i * D, D, out.obs.data() + b * D);
    const float* next = last ? data_.final_obs_.data() + e * D : data_.obs_.data() + (i + 1) * D;
    std::copy_n(next, D, out.next_obs.data() + b * D);
    std::copy_n(data_.actions_.data() + i * A, A, out.actions.data() + b * A);
    out.rewards[b] = data_.rewards_[i];
    out.terminated[b] = last && data_.terminated_[e];
  }
  return OkStatus();
}

}  // namespace fleet::replay
