// The store's in-memory FIFO of accepted chunks for an on-policy learner, bounded in
// chunks, with a policy-lag bound applied when the learner takes a batch: chunks made
// with a policy older than learner_version - max_policy_lag are dropped and reported.
// Not thread-safe: owned by the store's event loop.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace fleet::replay {

struct QueuedChunk {
  uint32_t actor_id = 0;
  uint64_t sequence = 0;
  uint64_t policy_version = 0;
  uint64_t num_steps = 0;  // T x N
  std::vector<float> episode_returns;
  std::vector<uint32_t> episode_lengths;
  std::string bytes;  // the chunk as the actor sent it
};

struct DroppedStats {
  uint64_t chunks = 0;
  uint64_t steps = 0;
  std::vector<float> episode_returns;
  std::vector<uint32_t> episode_lengths;
};

class RolloutQueue {
 public:
  RolloutQueue(int capacity, int max_policy_lag) : capacity_(capacity), max_lag_(max_policy_lag) {}

  bool full() const { return static_cast<int>(queue_.size()) >= capacity_; }
  int size() const { return static_cast<int>(queue_.size()); }

  // Appends a chunk; the caller checks full() first (FLEET_CHECK).
  void Push(QueuedChunk chunk);

  // Drops chunks too stale for `learner_version` (into `dropped`), then, when at least
  // `n` fresh chunks are queued, moves the oldest n into `out` and returns true.
  bool TakeBatch(uint64_t learner_version, int n, std::vector<QueuedChunk>& out,
                 DroppedStats& dropped);

 private:
  int capacity_;
  int max_lag_;
  std::deque<QueuedChunk> queue_;
};

}  // namespace fleet::replay
