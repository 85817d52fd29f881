#include "replay/transition_table.h"

#include <algorithm>

namespace fleet::replay {

TransitionTable::TransitionTable(int obs_dim, int action_dim, int64_t capacity,
                                 std::unique_ptr<RateLimiter> limiter)
    : obs_dim_(obs_dim),
      action_width_(action_dim == 0 ? 1 : action_dim),
      capacity_(capacity),
      limiter_(std::move(limiter)),
      obs_(capacity * obs_dim),
      actions_(capacity * action_width_),
      rewards_(capacity),
      next_obs_(capacity * obs_dim),
      terminated_(capacity) {}

template <class F>
Status TransitionTable::Write(const proto::TrajectoryChunk& c, F before_each) {
  const int T = c.num_steps(), N = c.num_envs(), D = obs_dim_, A = action_width_;
  std::vector<int> final_at(static_cast<size_t>(T) * N, -1);
  for (int k = 0; k < c.final_indices_size(); ++k) final_at[c.final_indices(k)] = k;
  for (int t = 0; t < T; ++t) {
    for (int e = 0; e < N; ++e) {
      FLEET_RETURN_IF_ERROR(before_each());
      const int64_t i = int64_t{t} * N + e;
      // s': the observation the step ended in (the final one when the episode ended).
      const float* next = final_at[i] >= 0 ? c.final_observations().data() + final_at[i] * D
                          : t + 1 < T     ? c.observations().data() + (i + N) * D
                                          : c.next_observations().data() + e * D;
      std::lock_guard lock(mu_);
      const int64_t slot = next_;
      std::copy_n(c.observations().data() + i * D, D, obs_.data() + slot * D);
      std::copy_n(next, D, next_obs_.data() + slot * D);
      if (c.action_dim() == 0) {
        actions_[slot] = static_cast<float>(c.discrete_actions(i));
      } else {
        std::copy_n(c.continuous_actions().data() + i * A, A, actions_.data() + slot * A);
      }
      rewards_[slot] = c.rewards(i);
      terminated_[slot] = static_cast<uint8_t>(c.terminated()[i]);
      next_ = (next_ + 1) % capacity_;
      if (size_ == capacity_) {
        ++evicted_;
        limiter_->Removed();  // the oldest transition was overwritten
      } else {
        ++size_;
      }
    }
  }
  return OkStatus();
}

Status TransitionTable::InsertChunk(const proto::TrajectoryChunk& c,
                                    std::chrono::milliseconds timeout) {
  return Write(c, [&] { return limiter_->AwaitInsert(timeout); });
}

void TransitionTable::InsertChunkNow(const proto::TrajectoryChunk& c) {
  limiter_->Inserted(int64_t{c.num_steps()} * c.num_envs());
  (void)Write(c, [] { return OkStatus(); });
}

void TransitionTable::DrawLocked(int b, std::mt19937_64& rng, TransitionBatch& out) const {
  const int D = obs_dim_, A = action_width_;
  const int64_t j = std::uniform_int_distribution<int64_t>(0, size_ - 1)(rng);
  std::copy_n(obs_.data() + j * D, D, out.obs.data() + int64_t{b} * D);
  std::copy_n(next_obs_.data() + j * D, D, out.next_obs.data() + int64_t{b} * D);
  std::copy_n(actions_.data() + j * A, A, out.actions.data() + int64_t{b} * A);
  out.rewards[b] = rewards_[j];
  out.terminated[b] = terminated_[j];
}

Status TransitionTable::Sample(int batch, std::mt19937_64& rng, TransitionBatch& out,
                               std::chrono::milliseconds timeout) {
  out.Resize(batch, obs_dim_, action_width_);
  for (int b = 0; b < batch; ++b) {
    FLEET_RETURN_IF_ERROR(limiter_->AwaitSample(timeout));
    std::lock_guard lock(mu_);
    DrawLocked(b, rng, out);
  }
  return OkStatus();
}

bool TransitionTable::TrySample(int batch, std::mt19937_64& rng, TransitionBatch& out) {
  if (!limiter_->TrySample(batch)) return false;
  out.Resize(batch, obs_dim_, action_width_);
  std::lock_guard lock(mu_);
  for (int b = 0; b < batch; ++b) DrawLocked(b, rng, out);
  return true;
}

int64_t TransitionTable::Refill(const EpisodeDataset& d) {
  std::shared_lock read(d.mu_);
  const int D = obs_dim_, A = action_width_;
  if (d.obs_dim_ != D || d.action_width_ != A) return 0;
  // the newest `capacity_` steps: from the episode holding step (total - capacity) on
  const int64_t total = d.ends_.empty() ? 0 : d.ends_.back();
  const int64_t first = std::max<int64_t>(0, total - capacity_);
  int64_t n = 0;
  std::lock_guard lock(mu_);
  int64_t begin = 0;
  for (size_t e = 0; e < d.ends_.size(); ++e) {
    const int64_t end = d.ends_[e];
    for (int64_t t = std::max(begin, first); t < end; ++t) {
      const bool last = t + 1 == end;
      const float* next = last ? d.final_obs_.data() + e * D : d.obs_.data() + (t + 1) * D;
      const int64_t slot = next_;
      std::copy_n(d.obs_.data() + t * D, D, obs_.data() + slot * D);
      std::copy_n(next, D, next_obs_.data() + slot * D);
      std::copy_n(d.actions_.data() + t * A, A, actions_.data() + slot * A);
      rewards_[slot] = d.rewards_[t];
      terminated_[slot] = static_cast<uint8_t>(last && d.terminated_[e]);
      next_ = (next_ + 1) % capacity_;
      if (size_ == capacity_) {
        ++evicted_;
      } else {
        ++size_;
      }
      ++n;
    }
    begin = end;
  }
  limiter_->Restored(n);
  return n;
}

int64_t TransitionTable::evicted() const {
  std::lock_guard lock(mu_);
  return evicted_;
}

int64_t TransitionTable::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

}  // namespace fleet::replay
