// Where an offline learner's batches come from (BatchSource::kOffline): windows of K
// steps drawn from a recorded dataset as the Decision Transformer's gym code draws them
// (an episode with probability proportional to its length, a uniform start, front
// padding), B per batch, with the dataset's statistics (the state mean and standard
// deviation the model normalizes with, its returns). The dataset is streamed from its
// shards through a cache of learner.dataset_cache_mb (replay/streaming_window_sampler.h):
// a dataset larger than memory trains with bounded memory. The dataset must
// be of the run's env: its observation and action shapes are checked against the env's
// spec. Continuous actions are clipped to the env's bounds: datasets hold the actions the
// behaviour policy drew (a Gaussian PPO policy's samples may lie outside the box; the env
// applied them clipped), and what the env did is what a policy learned offline should
// reproduce. No libtorch. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/status.h"
#include "envs/env.h"
#include "replay/streaming_window_sampler.h"

namespace fleet::learner {

// B windows of K steps, row-major (b, k, ...). Discrete actions as their index.
struct WindowBatch {
  int batch = 0, k = 0, obs_dim = 0, action_width = 0;
  std::vector<float> observations;   // B x K x obs_dim, raw
  std::vector<float> actions;        // B x K x action_width
  std::vector<float> returns_to_go;  // B x K, env units
  std::vector<int64_t> timesteps;    // B x K
  std::vector<uint8_t> mask;         // B x K
};

struct DatasetStats {
  int64_t episodes = 0, steps = 0;
  std::vector<double> obs_mean, obs_std;  // std + 1e-6, as the official code
  double best_return = 0, mean_return = 0;
  int max_episode_len = 0;
};

class OfflineSource {
 public:
  // NotFound for no dataset, InvalidArgument when its shapes are not the env's,
  // FailedPrecondition for an empty one. Unreadable shards are skipped, named in `warnings`.
  static StatusOr<std::unique_ptr<OfflineSource>> Open(const std::string& dataset,
                                                       const envs::EnvSpec& spec,
                                                       int64_t cache_bytes,
                                                       std::vector<std::string>* warnings);
  // `batch` windows of `k` steps.
  Status Next(int batch, int k, std::mt19937_64& rng, WindowBatch& out);
  const DatasetStats& stats() const { return stats_; }
  const replay::StreamingWindowSampler& sampler() const { return *data_; }

 private:
  explicit OfflineSource(std::unique_ptr<replay::StreamingWindowSampler> data)
      : data_(std::move(data)) {}
  std::unique_ptr<replay::StreamingWindowSampler> data_;
  replay::Window window_;
  DatasetStats stats_;
  std::vector<float> low_, high_;  // continuous action bounds
};

}  // namespace fleet::learner
