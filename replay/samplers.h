// Sampling for off-policy and offline learners (the FIFO rollouts of PPO are
// replay/rollout_queue.h):
//
// TransitionTable: live transitions (s, a, r, s', terminated) from accepted chunks in a
//   bounded ring (oldest evicted), sampled uniformly, with a RateLimiter holding the
//   samples-per-insert ratio and a minimum size, as Reverb's uniform tables do (SAC).
// EpisodeTransitionSampler: the same uniform transitions from whole episodes (a recorded
//   dataset loaded from its shards), for offline off-policy learning.
// EpisodeDataset + WindowSampler: whole episodes, appended live or loaded from a
//   recorded dataset's shards, and fixed-length windows with returns-to-go for a Decision
//   Transformer: an episode is drawn with probability proportional to its length and the
//   window starts at a uniform step of it, as the Decision Transformer's gym code samples
//   (Chen et al. 2021: p(episode) = length / total; windows shorter than K at the
//   episode's end are padded at the front, mask 0). Returns-to-go are undiscounted
//   sums of the rewards from each step to the episode's end. Drawing is O(log episodes)
//   plus the copy of K steps.
// All three are thread-safe (one mutex, shared for sampling where possible).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/fleet.pb.h"
#include "replay/rate_limiter.h"

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

class TransitionTable {
 public:
  // action_dim 0: discrete (one value per step).
  TransitionTable(int obs_dim, int action_dim, int64_t capacity, std::unique_ptr<RateLimiter> limiter);

  // Every step of a validated chunk; each insert waits for the limiter up to `timeout`.
  Status InsertChunk(const proto::TrajectoryChunk& chunk, std::chrono::milliseconds timeout);
  // `batch` uniform draws (with replacement), each counted by the limiter.
  Status Sample(int batch, std::mt19937_64& rng, TransitionBatch& out,
                std::chrono::milliseconds timeout);
  int64_t size() const;
  RateLimiter& limiter() { return *limiter_; }

 private:
  int obs_dim_, action_width_;
  int64_t capacity_;
  std::unique_ptr<RateLimiter> limiter_;
  mutable std::mutex mu_;
  int64_t next_ = 0, size_ = 0;
  std::vector<float> obs_, actions_, rewards_, next_obs_;
  std::vector<uint8_t> terminated_;
};

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
  // bytes held: step data plus the episode index.
  size_t MemoryBytes() const;
  size_t IndexBytes() const;

 private:
  friend class WindowSampler;
  friend class EpisodeTransitionSampler;
  int obs_dim_, action_width_;
  mutable std::shared_mutex mu_;
  std::vector<float> obs_, actions_, rewards_, rtg_;
  std::vector<int64_t> ends_;  // exclusive end step of each episode (prefix sums of lengths)
  std::vector<float> final_obs_;      // episodes x obs_dim (zeros where unknown)
  std::vector<uint8_t> terminated_;   // per episode
};

// Uniform transitions (s, a, r, s', terminated) from whole episodes, e.g. a recorded
// dataset loaded with EpisodeDataset::Load (offline off-policy learning): s' is the next
// step's observation, or the episode's final observation at its last step.
class EpisodeTransitionSampler {
 public:
  explicit EpisodeTransitionSampler(const EpisodeDataset& data) : data_(data) {}
  Status Sample(int batch, std::mt19937_64& rng, TransitionBatch& out) const;

 private:
  const EpisodeDataset& data_;
};

struct Window {
  int k = 0;
  std::vector<float> obs, actions, rewards, returns_to_go;
  std::vector<int64_t> timesteps;  // step index within the episode
  std::vector<uint8_t> mask;       // 1 where a step is present
  int64_t episode = -1;
};

class WindowSampler {
 public:
  WindowSampler(const EpisodeDataset& data, int k) : data_(data), k_(k) {}
  // FailedPrecondition on an empty dataset.
  Status Sample(std::mt19937_64& rng, Window& out) const;

 private:
  const EpisodeDataset& data_;
  int k_;
};

}  // namespace fleet::replay
