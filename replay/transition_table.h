// Live transitions (s, a, r, s', terminated) from accepted chunks in a bounded ring (the
// oldest evicted), sampled uniformly with replacement, with a RateLimiter holding the
// samples-per-insert ratio and a minimum size, as Reverb's uniform tables with a
// SampleToInsertRatio limiter do (for SAC-style learners). Thread-safe: inserts and
// samples may come from different threads, each blocking in the limiter.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <vector>

#include "common/status.h"
#include "proto/fleet.pb.h"
#include "replay/rate_limiter.h"
#include "replay/transition_batch.h"

namespace fleet::replay {

class TransitionTable {
 public:
  // action_dim 0: discrete (one value per step).
  TransitionTable(int obs_dim, int action_dim, int64_t capacity, std::unique_ptr<RateLimiter> limiter);

  // Every step of a validated chunk; each insert waits for the limiter up to `timeout`.
  // s' is the observation the step ended in: the final one where an episode ended.
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

}  // namespace fleet::replay
