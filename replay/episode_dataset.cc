#include "replay/episode_dataset.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "replay/shard_reader.h"

namespace fleet::replay {

void EpisodeDataset::AppendEpisode(std::span<const float> obs, std::span<const float> actions,
                                   std::span<const float> rewards, std::span<const float> final_obs,
                                   bool terminated) {
  std::unique_lock lock(mu_);
  if (final_obs.size() == static_cast<size_t>(obs_dim_)) {
    final_obs_.insert(final_obs_.end(), final_obs.begin(), final_obs.end());
  } else {
    final_obs_.resize(final_obs_.size() + obs_dim_, 0.0f);
  }
  terminated_.push_back(terminated ? 1 : 0);
  obs_.insert(obs_.end(), obs.begin(), obs.end());
  actions_.insert(actions_.end(), actions.begin(), actions.end());
  rewards_.insert(rewards_.end(), rewards.begin(), rewards.end());
  const size_t n = rewards.size();
  rtg_.resize(rtg_.size() + n);
  double acc = 0.0;
  for (size_t i = n; i-- > 0;) {
    acc += rewards[i];
    rtg_[rtg_.size() - n + i] = static_cast<float>(acc);
  }
  ends_.push_back((ends_.empty() ? 0 : ends_.back()) + static_cast<int64_t>(n));
}

int64_t EpisodeDataset::steps() const {
  std::shared_lock lock(mu_);
  return ends_.empty() ? 0 : ends_.back();
}

int64_t EpisodeDataset::episodes() const {
  std::shared_lock lock(mu_);
  return static_cast<int64_t>(ends_.size());
}

EpisodeDataset::Summary EpisodeDataset::Summarize() const {
  std::shared_lock lock(mu_);
  Summary s;
  const int64_t n = ends_.empty() ? 0 : ends_.back();
  const int D = obs_dim_;
  s.obs_mean.assign(D, 0.0);
  s.obs_std.assign(D, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    for (int d = 0; d < D; ++d) s.obs_mean[d] += obs_[i * D + d];
  }
  for (int d = 0; d < D; ++d) s.obs_mean[d] /= std::max<int64_t>(1, n);
  for (int64_t i = 0; i < n; ++i) {
    for (int d = 0; d < D; ++d) {
      const double x = obs_[i * D + d] - s.obs_mean[d];
      s.obs_std[d] += x * x;
    }
  }
  for (int d = 0; d < D; ++d) s.obs_std[d] = std::sqrt(s.obs_std[d] / std::max<int64_t>(1, n));
  for (size_t e = 0; e < ends_.size(); ++e) {
    const int64_t begin = e == 0 ? 0 : ends_[e - 1];
    s.lengths.push_back(ends_[e] - begin);
    s.returns.push_back(begin < ends_[e] ? rtg_[begin] : 0.0);
  }
  return s;
}

size_t EpisodeDataset::IndexBytes() const {
  std::shared_lock lock(mu_);
  return ends_.size() * sizeof(int64_t);
}

size_t EpisodeDataset::MemoryBytes() const {
  std::shared_lock lock(mu_);
  return (obs_.size() + actions_.size() + rewards_.size() + rtg_.size() + final_obs_.size()) *
             sizeof(float) +
         ends_.size() * (sizeof(int64_t) + 1);
}

StatusOr<std::unique_ptr<EpisodeDataset>> EpisodeDataset::Load(const std::string& path,
                                                               std::vector<std::string>* warnings) {
  FLEET_ASSIGN_OR_RETURN(std::vector<std::string> files, ListShards(path));
  const ShardReadOptions columns{{kObservations.name, kDiscreteActions.name, kRewards.name,
                                  kTerminals.name, kEpisodeStart.name, kEpisodeLength.name,
                                  kEpisodeFinalObservation.name}};
  std::unique_ptr<EpisodeDataset> out;
  for (const std::string& f : files) {
    StatusOr<Shard> shard = ReadShard(f, columns);
    if (!shard.ok()) {
      if (warnings) warnings->push_back(shard.status().message() + "; skipped");
      continue;
    }
    const Manifest& m = shard->manifest;
    const StepColumns& s = shard->steps;
    const EpisodeColumns& ep = shard->episodes;
    const int d = m.obs_dim, a = m.action_dim == 0 ? 1 : m.action_dim;
    if (!out) out = std::make_unique<EpisodeDataset>(d, a);
    if (out->obs_dim_ != d || out->action_width_ != a) {
      if (warnings) warnings->push_back(f + ": shapes differ from the first shard's; skipped");
      continue;
    }
    const int64_t n = s.size();
    bool bad = false;
    for (int64_t e = 0; e < ep.size() && !bad; ++e) {
      bad = ep.start[e] < 0 || ep.length[e] <= 0 || ep.start[e] + ep.length[e] > n;
    }
    if (bad) {
      if (warnings) warnings->push_back(f + ": episode index out of range; skipped");
      continue;
    }
    // discrete actions are held as floats, like continuous ones.
    const std::vector<float> discrete(s.discrete_actions.begin(), s.discrete_actions.end());
    const std::vector<float>& actions = m.action_dim == 0 ? discrete : s.continuous_actions;
    const bool have_final = !ep.final_observation.empty();
    for (int64_t e = 0; e < ep.size(); ++e) {
      const size_t s0 = ep.start[e], len = ep.length[e];
      std::span<const float> fo;
      if (have_final) fo = {ep.final_observation.data() + e * d, static_cast<size_t>(d)};
      out->AppendEpisode({s.observations.data() + s0 * d, len * d},
                         {actions.data() + s0 * a, len * a}, {s.rewards.data() + s0, len}, fo,
                         s.terminals[s0 + len - 1] != 0);
    }
  }
  if (!out) return NotFoundError("no readable dataset shard at '" + path + "'");
  return out;
}

}  // namespace fleet::replay
