// Decision Transformer windows from a recorded dataset without holding it in memory: the
// episode index of every shard (start, length, return: 20 bytes an episode) stays in
// memory, the episodes themselves are read from HDF5 on demand (hyperslabs of
// observations, actions and rewards) into an LRU cache bounded in bytes. The draws are
// WindowSampler's, one for one: the same generator gives the same windows (episode with
// probability proportional to its length, uniform start, front padding, undiscounted
// returns-to-go), so a dataset that fits the cache trains exactly as an in-memory one.
// Opening makes one streaming pass over the observations for their mean and standard
// deviation. Unreadable shards are skipped and named. Not thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "replay/episode_dataset.h"
#include "replay/h5.h"
#include "replay/window_sampler.h"

namespace fleet::replay {

class StreamingWindowSampler {
 public:
  // NotFound without a readable shard; `cache_bytes` bounds the episodes held.
  static StatusOr<std::unique_ptr<StreamingWindowSampler>> Open(const std::string& path,
                                                                int64_t cache_bytes,
                                                                std::vector<std::string>* warnings);

  // One window of `k` steps. DataLoss when an episode cannot be read.
  Status Sample(std::mt19937_64& rng, int k, Window& out);

  int obs_dim() const { return obs_dim_; }
  int action_width() const { return action_width_; }
  int64_t steps() const { return ends_.empty() ? 0 : ends_.back(); }
  int64_t episodes() const { return static_cast<int64_t>(ends_.size()); }
  // observation mean and (population) standard deviation, returns and lengths by episode.
  const EpisodeDataset::Summary& summary() const { return summary_; }
  int64_t cached_bytes() const { return cached_bytes_; }
  int64_t cache_limit() const { return cache_limit_; }
  int64_t episode_reads() const { return episode_reads_; }  // cache misses

 private:
  struct OpenShard {
    std::string path;
    h5::Id file;
    bool discrete = false;
  };
  struct Episode {
    std::vector<float> obs, actions, rtg;
    std::list<int64_t>::iterator lru;
    int64_t bytes = 0;
  };
  StreamingWindowSampler() = default;
  StatusOr<const Episode*> Fetch(int64_t episode);

  int obs_dim_ = 0, action_width_ = 0;
  std::vector<OpenShard> shards_;
  std::vector<int64_t> ends_;       // exclusive end step of each episode, over all shards
  std::vector<uint32_t> ep_shard_;  // its shard
  std::vector<int64_t> ep_start_;   // its first row in the shard
  EpisodeDataset::Summary summary_;
  int64_t cache_limit_ = 0, cached_bytes_ = 0, episode_reads_ = 0;
  std::unordered_map<int64_t, Episode> cache_;
  std::list<int64_t> lru_;  // most recent first
  Episode scratch_;         // an episode too large to cache, for the window being drawn
};

}  // namespace fleet::replay
