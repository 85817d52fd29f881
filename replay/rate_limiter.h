// Reverb's SampleToInsertRatio rate limiter (Cassirer et al. 2021, "Reverb: A Framework
// for Experience Replay"; its semantics, not its code): keeps samples/inserts near
// samples_per_insert once the table holds min_size items, within +-error_buffer samples.
//   diff = inserts * samples_per_insert - samples
//   an insert may proceed while size < min_size or diff + samples_per_insert <= max_diff
//   a sample may proceed once size >= min_size and diff - 1 >= min_diff
// with min_diff = min_size * spi - error_buffer, max_diff = min_size * spi + error_buffer.
// A blocked caller waits (a learner sampling faster than actors insert, or the reverse);
// a timeout returns DeadlineExceeded, Cancel() wakes everyone with Cancelled. An event
// loop (the store's) uses the non-blocking calls instead: CanInsert(n) before it reads a
// chunk of n steps, Inserted(n) once it has, TrySample(n) for a batch of n. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "common/status.h"

namespace fleet::replay {

struct RateLimiterOptions {
  double samples_per_insert = 1.0;
  int64_t min_size_to_sample = 1;
  double error_buffer = 1.0;  // must be >= max(1, samples_per_insert) to make progress
};

class RateLimiter {
 public:
  static StatusOr<std::unique_ptr<RateLimiter>> Create(const RateLimiterOptions& options);

  // Wait until an insert may proceed, then count it (size grows by one, up to max).
  Status AwaitInsert(std::chrono::milliseconds timeout);
  // Wait until a sample may proceed, then count it.
  Status AwaitSample(std::chrono::milliseconds timeout);
  // An item left the table (eviction): size shrinks, counters stay.
  void Removed();

  // Non-blocking. Whether n inserts may proceed now: the table is below its minimum size,
  // or diff + n * samples_per_insert <= max_diff (a chunk goes in whole).
  bool CanInsert(int64_t n) const;
  // Counts n inserts (size grows by n) without waiting: the caller checked CanInsert(n).
  void Inserted(int64_t n);
  // n items put back into the table (a resumed run's replay from its recorded data):
  // size and inserts grow by n, and samples are set as if the table had been sampled at
  // the ratio since it reached its minimum size (diff = min(size, min_size) x
  // samples_per_insert): a refilled table serves at once and takes inserts at once.
  void Restored(int64_t n);
  // Counts a sample of n items when size >= min_size and diff - n >= min_diff, and returns
  // true; false (nothing counted) otherwise.
  bool TrySample(int64_t n);
  // The two can never both refuse for ever when error_buffer >= (n * samples_per_insert +
  // k) / 2, for inserts of n and samples of k (replay/transition_table.h checks it).
  static double MinErrorBuffer(int64_t insert_n, double samples_per_insert, int64_t sample_k) {
    return (insert_n * samples_per_insert + sample_k) / 2.0;
  }
  const RateLimiterOptions& options() const { return o_; }
  void Cancel();

  int64_t inserts() const;
  int64_t samples() const;
  int64_t size() const;

 private:
  explicit RateLimiter(const RateLimiterOptions& o);
  bool CanInsertLocked(int64_t n) const;
  bool CanSampleLocked(int64_t n) const;

  RateLimiterOptions o_;
  double min_diff_, max_diff_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int64_t inserts_ = 0, samples_ = 0, size_ = 0;
  bool cancelled_ = false;
};

}  // namespace fleet::replay
