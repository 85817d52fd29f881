// Live transitions (s, a, r, s', terminated) from accepted chunks in a bounded ring (the
// oldest evicted), sampled uniformly with replacement, with a RateLimiter holding the
// samples-per-insert ratio and a minimum size, as Reverb's uniform tables with a
// SampleToInsertRatio limiter do (for SAC-style learners). Thread-safe: inserts and
// samples may come from different threads, each blocking in the limiter; the store's
// event loop uses the non-blocking calls (CanInsert, InsertChunkNow, TrySample) instead.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <vector>

#include "common/status.h"
#include "proto/fleet.pb.h"
#include "replay/episode_dataset.h"
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

  // Non-blocking, for an event loop. Whether a chunk of `steps` steps may go in now.
  bool CanInsert(int64_t steps) const { return limiter_->CanInsert(steps); }
  // Inserts every step of a validated chunk, counted by the limiter without waiting (the
  // caller checked CanInsert: a chunk goes in whole, nothing accepted is dropped).
  void InsertChunkNow(const proto::TrajectoryChunk& chunk);
  // `batch` uniform draws when the limiter lets a sample of `batch` proceed now; false
  // (nothing drawn or counted) otherwise.
  bool TrySample(int batch, std::mt19937_64& rng, TransitionBatch& out);
  // Puts back the newest transitions of recorded episodes (up to the capacity, oldest
  // first; s' the next step's observation or the episode's final one), counted by the
  // limiter as restored (RateLimiter::Restored). Returns how many went in. For a resumed
  // run, before any chunk arrives.
  int64_t Refill(const EpisodeDataset& episodes);

  int64_t size() const;
  int64_t capacity() const { return capacity_; }
  // transitions overwritten by newer ones
  int64_t evicted() const;
  RateLimiter& limiter() { return *limiter_; }

 private:
  // writes the chunk's steps into the ring, calling `before_each` before each (the
  // limiter's wait, or nothing); stops at its first error.
  template <class F>
  Status Write(const proto::TrajectoryChunk& chunk, F before_each);
  // one uniform draw into row b of `out` (sized); mu_ held.
  void DrawLocked(int b, std::mt19937_64& rng, TransitionBatch& out) const;

  int obs_dim_, action_width_;
  int64_t capacity_;
  std::unique_ptr<RateLimiter> limiter_;
  mutable std::mutex mu_;
  int64_t next_ = 0, size_ = 0, evicted_ = 0;
  std::vector<float> obs_, actions_, rewards_, next_obs_;
  std::vector<uint8_t> terminated_;
};

}  // namespace fleet::replay
