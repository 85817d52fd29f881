#include "replay/samplers.h"

#include <algorithm>
#include <filesystem>

#include <hdf5.h>

#include "replay/h5_read.h"

namespace fleet::replay {

// ---------------------------------------------------------------- TransitionTable

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

Status TransitionTable::InsertChunk(const proto::TrajectoryChunk& c,
                                    std::chrono::milliseconds timeout) {
  const int T = c.num_steps(), N = c.num_envs(), D = obs_dim_, A = action_width_;
  std::vector<int> final_at(static_cast<size_t>(T) * N, -1);
  for (int k = 0; k < c.final_indices_size(); ++k) final_at[c.final_indices(k)] = k;
  for (int t = 0; t < T; ++t) {
    for (int e = 0; e < N; ++e) {
      FLEET_RETURN_IF_ERROR(limiter_->AwaitInsert(timeout));
      const int i = t * N + e;
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
        limiter_->Removed();  // the oldest transition was overwritten
      } else {
        ++size_;
      }
    }
  }
  return OkStatus();
}

Status TransitionTable::Sample(int batch, std::mt19937_64& rng, TransitionBatch& out,
                               std::chrono::milliseconds timeout) {
  const int D = obs_dim_, A = action_width_;
  out.Resize(batch, D, A);
  for (int b = 0; b < batch; ++b) {
    FLEET_RETURN_IF_ERROR(limiter_->AwaitSample(timeout));
    std::lock_guard lock(mu_);
    const int64_t j = std::uniform_int_distribution<int64_t>(0, size_ - 1)(rng);
    std::copy_n(obs_.data() + j * D, D, out.obs.data() + b * D);
    std::copy_n(next_obs_.data() + j * D, D, out.next_obs.data() + b * D);
    std::copy_n(actions_.data() + j * A, A, out.actions.data() + b * A);
    out.rewards[b] = rewards_[j];
    out.terminated[b] = terminated_[j];
  }
  return OkStatus();
}

int64_t TransitionTable::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

// ---------------------------------------------------------------- EpisodeDataset

void EpisodeDataset::AppendEpisode(std::span<const float> obs, std::span<const float> actions,
                                   std::span<const float> rewards, std::span<const float> final_obs,
                                   bool terminated) {
  std::unique_lock lock(mu_);
  if (final_obs.size() == static_cast<size_t>(obs_dim_)) {
    final_obs_.insert(final_obs_.end(), final_obs.begin(), final_obs.end());
  } else {
    final_obs_.resize(final_obs_.size() + obs_dim_, 0.0f);
  }
  terminated_.push_back(terminated ? 1 : 0);
  obs_.insert(obs_.end(), obs.begin(), obs.end());
  actions_.insert(actions_.end(), actions.begin(), actions.end());
  rewards_.insert(rewards_.end(), rewards.begin(), rewards.end());
  const size_t n = rewards.size();
  rtg_.resize(rtg_.size() + n);
  double acc = 0.0;
  for (size_t i = n; i-- > 0;) {
    acc += rewards[i];
    rtg_[rtg_.size() - n + i] = static_cast<float>(acc);
  }
  ends_.push_back((ends_.empty() ? 0 : ends_.back()) + static_cast<int64_t>(n));
}

int64_t EpisodeDataset::steps() const {
  std::shared_lock lock(mu_);
  return ends_.empty() ? 0 : ends_.back();
}

int64_t EpisodeDataset::episodes() const {
  std::shared_lock lock(mu_);
  return static_cast<int64_t>(ends_.size());
}

size_t EpisodeDataset::IndexBytes() const {
  std::shared_lock lock(mu_);
  return ends_.size() * sizeof(int64_t);
}

size_t EpisodeDataset::MemoryBytes() const {
  std::shared_lock lock(mu_);
  return (obs_.size() + actions_.size() + rewards_.size() + rtg_.size() + final_obs_.size()) *
             sizeof(float) +
         ends_.size() * (sizeof(int64_t) + 1);
}

StatusOr<std::unique_ptr<EpisodeDataset>> EpisodeDataset::Load(const std::string& path,
                                                               std::vector<std::string>* warnings) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  if (fs::is_directory(path)) {
    for (const auto& e : fs::directory_iterator(path)) {
      const std::string name = e.path().filename().string();
      if (name.starts_with("shard-") && name.ends_with(".h5")) files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // unreadable shards are reported, not printed
  std::unique_ptr<EpisodeDataset> out;
  for (const std::string& f : files) {
    auto warn = [&](const std::string& why) {
      if (warnings) warnings->push_back(f + ": " + why + "; skipped");
    };
    hid_t h = H5Fopen(f.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (h < 0) {
      warn("not a readable HDF5 file");
      continue;
    }
    std::vector<float> obs, actions, rewards, final_obs;
    std::vector<int64_t> starts, lengths, disc;
    std::vector<uint8_t> terminals;
    hsize_t d = 0, a = 0;
    const bool discrete = [&] {
      hid_t ds = H5Dopen2(h, "actions", H5P_DEFAULT);
      if (ds < 0) return false;
      hid_t t = H5Dget_type(ds);
      const bool integer = H5Tget_class(t) == H5T_INTEGER;
      H5Tclose(t);
      H5Dclose(ds);
      return integer;
    }();
    bool ok = ReadH5Dataset(h, "observations", H5T_NATIVE_FLOAT, obs, &d) &&
              ReadH5Dataset(h, "rewards", H5T_NATIVE_FLOAT, rewards, nullptr) &&
              ReadH5Dataset(h, "episodes/start", H5T_NATIVE_INT64, starts, nullptr) &&
              ReadH5Dataset(h, "episodes/length", H5T_NATIVE_INT64, lengths, nullptr);
    if (ok && discrete) {
      ok = ReadH5Dataset(h, "actions", H5T_NATIVE_INT64, disc, nullptr);
      actions.assign(disc.begin(), disc.end());
      a = 1;
    } else if (ok) {
      ok = ReadH5Dataset(h, "actions", H5T_NATIVE_FLOAT, actions, &a);
    }
    if (ok) ok = ReadH5Dataset(h, "terminals", H5T_NATIVE_UINT8, terminals, nullptr);
    // format 2 datasets carry each episode's final observation.
    if (ok && !ReadH5Dataset(h, "episodes/final_observation", H5T_NATIVE_FLOAT, final_obs, nullptr)) {
      final_obs.clear();
    }
    H5Fclose(h);
    const size_t n = rewards.size();
    if (!ok) {
      warn("missing or unreadable datasets");
      continue;
    }
    if (obs.size() != n * d || actions.size() != n * a || starts.size() != lengths.size() ||
        terminals.size() != n || (!final_obs.empty() && final_obs.size() != starts.size() * d)) {
      warn("datasets of different lengths");
      continue;
    }
    if (!out) out = std::make_unique<EpisodeDataset>(static_cast<int>(d), static_cast<int>(a));
    if (out->obs_dim_ != static_cast<int>(d) || out->action_width_ != static_cast<int>(a)) {
      warn("shapes differ from the first shard's");
      continue;
    }
    bool bad = false;
    for (size_t e = 0; e < starts.size() && !bad; ++e) {
      if (starts[e] < 0 || lengths[e] <= 0 || static_cast<size_t>(starts[e] + lengths[e]) > n) bad = true;
    }
    if (bad) {
      warn("episode index out of range");
      continue;
    }
    for (size_t e = 0; e < starts.size(); ++e) {
      const size_t s = starts[e], len = lengths[e];
      std::span<const float> fo;
      if (!final_obs.empty()) fo = {final_obs.data() + e * d, d};
      out->AppendEpisode({obs.data() + s * d, len * d}, {actions.data() + s * a, len * a},
                         {rewards.data() + s, len}, fo, terminals[s + len - 1] != 0);
    }
  }
  if (!out) return NotFoundError("no readable dataset shard at '" + path + "'");
  return out;
}

Status EpisodeTransitionSampler::Sample(int batch, std::mt19937_64& rng,
                                        TransitionBatch& out) const {
  std::shared_lock lock(data_.mu_);
  const auto& ends = data_.ends_;
  if (ends.empty()) return FailedPreconditionError("no episodes to sample transitions from");
  const int D = data_.obs_dim_, A = data_.action_width_;
  out.Resize(batch, D, A);
  std::uniform_int_distribution<int64_t> pick(0, ends.back() - 1);
  for (int b = 0; b < batch; ++b) {
    const int64_t i = pick(rng);
    const int64_t e = std::upper_bound(ends.begin(), ends.end(), i) - ends.begin();
    const bool last = i + 1 == ends[e];
    std::copy_n(data_.obs_.data() + i * D, D, out.obs.data() + b * D);
    const float* next = last ? data_.final_obs_.data() + e * D : data_.obs_.data() + (i + 1) * D;
    std::copy_n(next, D, out.next_obs.data() + b * D);
    std::copy_n(data_.actions_.data() + i * A, A, out.actions.data() + b * A);
    out.rewards[b] = data_.rewards_[i];
    out.terminated[b] = last && data_.terminated_[e];
  }
  return OkStatus();
}

// ---------------------------------------------------------------- WindowSampler

Status WindowSampler::Sample(std::mt19937_64& rng, Window& w) const {
  std::shared_lock lock(data_.mu_);
  const auto& ends = data_.ends_;
  if (ends.empty()) return FailedPreconditionError("no episodes to sample windows from");
  const int D = data_.obs_dim_, A = data_.action_width_, K = k_;
  // a uniform step picks its episode with probability length / total.
  const int64_t step = std::uniform_int_distribution<int64_t>(0, ends.back() - 1)(rng);
  const int64_t e = std::upper_bound(ends.begin(), ends.end(), step) - ends.begin();
  const int64_t begin = e == 0 ? 0 : ends[e - 1], len = ends[e] - begin;
  const int64_t si = std::uniform_int_distribution<int64_t>(0, len - 1)(rng);
  const int64_t n = std::min<int64_t>(K, len - si);
  const int64_t pad = K - n;
  w.k = K;
  w.episode = e;
  w.obs.assign(static_cast<size_t>(K) * D, 0.0f);
  w.actions.assign(static_cast<size_t>(K) * A, 0.0f);
  w.rewards.assign(K, 0.0f);
  w.returns_to_go.assign(K, 0.0f);
  w.timesteps.assign(K, 0);
  w.mask.assign(K, 0);
  const int64_t g = begin + si;
  std::copy_n(data_.obs_.data() + g * D, n * D, w.obs.data() + pad * D);
  std::copy_n(data_.actions_.data() + g * A, n * A, w.actions.data() + pad * A);
  std::copy_n(data_.rewards_.data() + g, n, w.rewards.data() + pad);
  std::copy_n(data_.rtg_.data() + g, n, w.returns_to_go.data() + pad);
  for (int64_t i = 0; i < n; ++i) {
    w.timesteps[pad + i] = si + i;
    w.mask[pad + i] = 1;
  }
  return OkStatus();
}

}  // namespace fleet::replay
