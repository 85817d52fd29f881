#include "replay/streaming_window_sampler.h"

#include <algorithm>
#include <cmath>

#include "replay/shard_reader.h"

namespace fleet::replay {

StatusOr<std::unique_ptr<StreamingWindowSampler>> StreamingWindowSampler::Open(
    const std::string& path, int64_t cache_bytes, std::vector<std::string>* warnings) {
  FLEET_ASSIGN_OR_RETURN(std::vector<std::string> files, ListShards(path));
  std::unique_ptr<StreamingWindowSampler> s(new StreamingWindowSampler());
  s->cache_limit_ = cache_bytes;
  // observation statistics as Chan et al.'s parallel merge of per-block mean and M2.
  std::vector<double> mean, m2;
  double count = 0;
  for (const std::string& f : files) {
    auto warn = [&](const std::string& why) {
      if (warnings) warnings->push_back(f + ": " + why + "; skipped");
    };
    // the episode index and the layout, checked by the shard reader.
    StatusOr<Shard> index = ReadShard(f, {{kEpisodeStart.name, kEpisodeLength.name, kEpisodeReturn.name}});
    if (!index.ok()) {
      warn(index.status().message());
      continue;
    }
    const Manifest& m = index->manifest;
    const int d = m.obs_dim, a = m.action_dim == 0 ? 1 : m.action_dim;
    if (s->shards_.empty()) {
      s->obs_dim_ = d;
      s->action_width_ = a;
      mean.assign(d, 0.0);
      m2.assign(d, 0.0);
    } else if (d != s->obs_dim_ || a != s->action_width_) {
      warn("shapes differ from the first shard's");
      continue;
    }
    auto file = h5::OpenFile(f);
    if (!file.ok()) {
      warn(file.status().message());
      continue;
    }
    const EpisodeColumns& ep = index->episodes;
    int64_t rows = 0;
    for (int64_t e = 0; e < ep.size(); ++e) rows = std::max(rows, ep.start[e] + ep.length[e]);
    // the observations, a block at a time.
    std::vector<double> block_mean(d), block_m2(d);
    bool readable = true;
    for (int64_t r0 = 0; r0 < rows && readable; r0 += 65536) {
      const int64_t n = std::min<int64_t>(65536, rows - r0);
      auto obs = h5::ReadRows<float>(file->get(), kObservations.name, r0, n);
      if (!obs.ok()) {
        warn(obs.status().message());
        readable = false;
        break;
      }
      std::fill(block_mean.begin(), block_mean.end(), 0.0);
      std::fill(block_m2.begin(), block_m2.end(), 0.0);
      for (int64_t i = 0; i < n; ++i) {
        for (int j = 0; j < d; ++j) block_mean[j] += obs->data[i * d + j];
      }
      for (int j = 0; j < d; ++j) block_mean[j] /= static_cast<double>(n);
      for (int64_t i = 0; i < n; ++i) {
        for (int j = 0; j < d; ++j) {
          const double x = obs->data[i * d + j] - block_mean[j];
          block_m2[j] += x * x;
        }
      }
      const double total = count + static_cast<double>(n);
      for (int j = 0; j < d; ++j) {
        const double delta = block_mean[j] - mean[j];
        mean[j] += delta * static_cast<double>(n) / total;
        m2[j] += block_m2[j] + delta * delta * count * static_cast<double>(n) / total;
      }
      count = total;
    }
    if (!readable) continue;
    const bool discrete = m.action_dim == 0;
    for (int64_t e = 0; e < ep.size(); ++e) {
      s->ends_.push_back(s->steps() + ep.length[e]);
      s->ep_shard_.push_back(static_cast<uint32_t>(s->shards_.size()));
      s->ep_start_.push_back(ep.start[e]);
      s->summary_.returns.push_back(ep.episode_return[e]);
      s->summary_.lengths.push_back(ep.length[e]);
    }
    s->shards_.push_back({f, std::move(*file), discrete});
  }
  if (s->shards_.empty()) return NotFoundError("no readable dataset shard at '" + path + "'");
  s->summary_.obs_mean = mean;
  s->summary_.obs_std.resize(mean.size());
  for (size_t j = 0; j < mean.size(); ++j) s->summary_.obs_std[j] = std::sqrt(m2[j] / std::max(1.0, count));
  return s;
}

StatusOr<const StreamingWindowSampler::Episode*> StreamingWindowSampler::Fetch(int64_t e) {
  if (auto it = cache_.find(e); it != cache_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);  // most recent now
    return &it->second;
  }
  const OpenShard& shard = shards_[ep_shard_[e]];
  const int64_t start = ep_start_[e], len = ends_[e] - (e == 0 ? 0 : ends_[e - 1]);
  const hid_t f = shard.file.get();
  Episode ep;
  FLEET_ASSIGN_OR_RETURN(auto obs, h5::ReadRows<float>(f, kObservations.name, start, len));
  ep.obs = std::move(obs.data);
  if (shard.discrete) {
    FLEET_ASSIGN_OR_RETURN(auto acts, h5::ReadRows<int64_t>(f, "actions", start, len));
    ep.actions.assign(acts.data.begin(), acts.data.end());
  } else {
    FLEET_ASSIGN_OR_RETURN(auto acts, h5::ReadRows<float>(f, "actions", start, len));
    ep.actions = std::move(acts.data);
  }
  FLEET_ASSIGN_OR_RETURN(auto rewards, h5::ReadRows<float>(f, kRewards.name, start, len));
  ep.rtg.resize(len);
  double acc = 0.0;
  for (int64_t i = len; i-- > 0;) {
    acc += rewards.data[i];
    ep.rtg[i] = static_cast<float>(acc);
  }
  ++episode_reads_;
  ep.bytes = static_cast<int64_t>((ep.obs.size() + ep.actions.size() + ep.rtg.size()) * sizeof(float));
  // make room, least recently used first; an episode larger than the whole cache is used
  // once and not kept.
  while (!lru_.empty() && cached_bytes_ + ep.bytes > cache_limit_) {
    auto victim = cache_.find(lru_.back());
    cached_bytes_ -= victim->second.bytes;
    cache_.erase(victim);
    lru_.pop_back();
  }
  lru_.push_front(e);
  ep.lru = lru_.begin();
  cached_bytes_ += ep.bytes;
  auto [it, inserted] = cache_.emplace(e, std::move(ep));
  if (cached_bytes_ > cache_limit_) {  // alone it does not fit: evicted after this use
    cached_bytes_ -= it->second.bytes;
    lru_.erase(it->second.lru);
    scratch_ = std::move(it->second);
    cache_.erase(it);
    return &scratch_;
  }
  return &it->second;
}

Status StreamingWindowSampler::Sample(std::mt19937_64& rng, int k, Window& w) {
  if (ends_.empty()) return FailedPreconditionError("no episodes to sample windows from");
  const int D = obs_dim_, A = action_width_, K = k;
  // exactly WindowSampler::Sample's draws.
  const int64_t step = std::uniform_int_distribution<int64_t>(0, ends_.back() - 1)(rng);
  const int64_t e = std::upper_bound(ends_.begin(), ends_.end(), step) - ends_.begin();
  const int64_t begin = e == 0 ? 0 : ends_[e - 1], len = ends_[e] - begin;
  const int64_t si = std::uniform_int_distribution<int64_t>(0, len - 1)(rng);
  const int64_t n = std::min<int64_t>(K, len - si);
  const int64_t pad = K - n;
  FLEET_ASSIGN_OR_RETURN(const Episode* ep, Fetch(e));
  w.k = K;
  w.episode = e;
  w.obs.assign(static_cast<size_t>(K) * D, 0.0f);
  w.actions.assign(static_cast<size_t>(K) * A, 0.0f);
  w.rewards.assign(K, 0.0f);
  w.returns_to_go.assign(K, 0.0f);
  w.timesteps.assign(K, 0);
  w.mask.assign(K, 0);
  std::copy_n(ep->obs.data() + si * D, n * D, w.obs.data() + pad * D);
  std::copy_n(ep->actions.data() + si * A, n * A, w.actions.data() + pad * A);
  std::copy_n(ep->rtg.data() + si, n, w.returns_to_go.data() + pad);
  for (int64_t i = 0; i < n; ++i) {
    // rewards: the difference of consecutive returns-to-go (the last step's is its rtg).
    const float next = si + i + 1 < len ? ep->rtg[si + i + 1] : 0.0f;
    w.rewards[pad + i] = ep->rtg[si + i] - next;
    w.timesteps[pad + i] = si + i;
    w.mask[pad + i] = 1;
  }
  return OkStatus();
}

}  // namespace fleet::replay
