// Whole episodes in memory, appended live or loaded from a recorded dataset's shards
// (through replay/shard_reader.h): observations, actions, rewards and each episode's
// returns-to-go, final observation and termination flag, with the episode boundaries as
// prefix sums. The samplers (episode_transition_sampler.h, window_sampler.h) draw from it.
// Thread-safe: appends take the lock exclusively, samplers share it.
#pragma once

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"

namespace fleet::replay {

class EpisodeDataset {
 public:
  EpisodeDataset(int obs_dim, int action_width) : obs_dim_(obs_dim), action_width_(action_width) {}

  // Reads every shard of a recorded dataset (directory or one .h5). A shard that cannot be
  // read is skipped and named in `warnings`; no readable shard is an error.
  static StatusOr<std::unique_ptr<EpisodeDataset>> Load(const std::string& path,
                                                        std::vector<std::string>* warnings);

  // One whole episode (obs: len x obs_dim, actions: len x action_width, rewards: len),
  // with the observation it ended in (empty: unknown) and whether it terminated.
  void AppendEpisode(std::span<const float> obs, std::span<const float> actions,
                     std::span<const float> rewards, std::span<const float> final_obs = {},
                     bool terminated = false);

  int obs_dim() const { return obs_dim_; }
  int action_width() const { return action_width_; }
  int64_t steps() const;
  int64_t episodes() const;
  // Per observation dimension mean and standard deviation over every step (population
  // std), and each episode's return and length.
  struct Summary {
    std::vector<double> obs_mean, obs_std;
    std::vector<double> returns;
    std::vector<int64_t> lengths;
  };
  Summary Summarize() const;
  // bytes held: step data plus the episode index.
  size_t MemoryBytes() const;
  size_t IndexBytes() const;

 private:
  friend class WindowSampler;
  friend class EpisodeTransitionSampler;
  friend class TransitionTable;
  int obs_dim_, action_width_;
  mutable std::shared_mutex mu_;
  std::vector<float> obs_, actions_, rewards_, rtg_;
  std::vector<int64_t> ends_;  // exclusive end step of each episode (prefix sums of lengths)
  std::vector<float> final_obs_;     // episodes x obs_dim (zeros where unknown)
  std::vector<uint8_t> terminated_;  // per episode
};

}  // namespace fleet::replay
