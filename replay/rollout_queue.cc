#include "replay/rollout_queue.h"

#include "common/status.h"

namespace fleet::replay {

void RolloutQueue::Push(QueuedChunk chunk) {
  FLEET_CHECK(!full());
  queue_.push_back(std::move(chunk));
}

bool RolloutQueue::TakeBatch(uint64_t learner_version, int n, std::vector<QueuedChunk>& out,
                             DroppedStats& dropped) {
  std::erase_if(queue_, [&](const QueuedChunk& c) {
    const bool stale = c.policy_version + static_cast<uint64_t>(max_lag_) < learner_version;
    if (stale) {
      dropped.chunks += 1;
      dropped.steps += c.num_steps;
      dropped.episode_returns.insert(dropped.episode_returns.end(), c.episode_returns.begin(),
                                     c.episode_returns.end());
      dropped.episode_lengths.insert(dropped.episode_lengths.end(), c.episode_lengths.begin(),
                                     c.episode_lengths.end());
    }
    return stale;
  });
  if (static_cast<int>(queue_.size()) < n) return false;
  out.clear();
  for (int i = 0; i < n; ++i) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return true;
}

}  // namespace fleet::replay
