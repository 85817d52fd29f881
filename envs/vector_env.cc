#include "envs/vector_env.h"

#include <pthread.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "envs/registry.h"

namespace fleet::envs {

// Persistent worker threads running one job per generation: Run(job) has every worker
// call job(worker index) and returns when all have finished.
class VectorEnv::WorkerPool {
 public:
  explicit WorkerPool(int workers) {
    for (int w = 0; w < workers; ++w) {
      threads_.emplace_back([this, w] { Loop(w); });
      pthread_setname_np(threads_.back().native_handle(), "fleet-vecenv");
    }
  }
  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }
  int size() const { return static_cast<int>(threads_.size()); }
  void Run(const std::function<void(int)>& job) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = &job;
      pending_ = size();
      ++generation_;
    }
    wake_.notify_all();
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return pending_ == 0; });
  }

 private:
  void Loop(int w) {
    uint64_t seen = 0;
    while (true) {
      const std::function<void(int)>* job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        job = job_;
      }
      (*job)(w);
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (--pending_ == 0) done_.notify_one();
      }
    }
  }

  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* job_ = nullptr;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
};

void VectorStepOutput::Clear() {
  final_indices.clear();
  final_observations.clear();
  episode_returns.clear();
  episode_lengths.clear();
  episode_seeds.clear();
}

namespace {
uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
}  // namespace

uint64_t VectorEnv::GroupSeed(uint64_t base, int group, int64_t episode) {
  const uint64_t h = SplitMix64(SplitMix64(base) ^ SplitMix64(static_cast<uint64_t>(group) << 32 ^
                                                              static_cast<uint64_t>(episode)));
  return h >> 1;
}

StatusOr<std::unique_ptr<VectorEnv>> VectorEnv::Create(
    const std::string& id, int num_envs, const std::map<std::string, std::string>& options,
    int num_threads) {
  if (num_envs < 1) return InvalidArgumentError("num_envs must be >= 1");
  if (num_threads < 1) return InvalidArgumentError("num_threads must be >= 1");
  std::vector<std::unique_ptr<Env>> envs;
  for (int i = 0; i < num_envs; ++i) {
    FLEET_ASSIGN_OR_RETURN(auto env, MakeEnv(id, options));
    envs.push_back(std::move(env));
  }
  return std::unique_ptr<VectorEnv>(new VectorEnv(std::move(envs), num_threads));
}

VectorEnv::VectorEnv(std::vector<std::unique_ptr<Env>> envs, int num_threads)
    : envs_(std::move(envs)),
      episode_return_(envs_.size()),
      episode_length_(envs_.size()),
      ended_(envs_.size()),
      final_obs_(envs_.size() * envs_[0]->obs_dim()),
      ended_return_(envs_.size()),
      ended_length_(envs_.size()),
      episode_seed_(envs_.size()),
      ended_seed_(envs_.size()) {
  const int workers = std::min(num_threads, num_envs());
  if (workers > 1) pool_ = std::make_unique<WorkerPool>(workers);
}

VectorEnv::~VectorEnv() = default;

void VectorEnv::StepRange(int begin, int end, std::span<const float> actions,
                          std::span<float> obs, std::span<float> rewards,
                          std::span<uint8_t> terminated, std::span<uint8_t> truncated) {
  const int d = obs_dim(), w = action_width();
  for (int i = begin; i < end; ++i) {
    auto o = obs.subspan(i * d, d);
    auto r = envs_[i]->Step(actions.subspan(i * w, w), o);
    FLEET_CHECK_MSG(r.ok(), r.status().ToString());
    rewards[i] = static_cast<float>(r->reward);
    terminated[i] = r->terminated;
    truncated[i] = r->truncated;
    episode_return_[i] += r->reward;
    episode_length_[i] += 1;
    ended_[i] = r->terminated || r->truncated;
    if (ended_[i]) {
      std::copy(o.begin(), o.end(), final_obs_.begin() + i * d);
      ended_return_[i] = episode_return_[i];
      ended_length_[i] = episode_length_[i];
      episode_return_[i] = 0.0;
      episode_length_[i] = 0;
      // grouped seeding resets after the parallel part, in env order (Step).
      if (group_size_ == 0) envs_[i]->Reset(std::nullopt, o);
    }
  }
}

void VectorEnv::Reset(uint64_t seed, std::span<float> obs) {
  const int d = obs_dim();
  FLEET_CHECK(static_cast<int>(obs.size()) == num_envs() * d);
  for (int i = 0; i < num_envs(); ++i) {
    envs_[i]->Reset(seed + i, obs.subspan(i * d, d));
    episode_return_[i] = 0.0;
    episode_length_[i] = 0;
  }
  group_size_ = 0;
}

void VectorEnv::ResetGrouped(uint64_t seed, int group_size, std::span<float> obs) {
  const int d = obs_dim();
  FLEET_CHECK(static_cast<int>(obs.size()) == num_envs() * d);
  FLEET_CHECK(group_size >= 1 && num_envs() % group_size == 0);
  group_size_ = group_size;
  group_seed_base_ = seed;
  group_episode_.assign(num_envs() / group_size, -1);
  group_taken_.assign(num_envs() / group_size, group_size);
  for (int i = 0; i < num_envs(); ++i) {
    episode_return_[i] = 0.0;
    episode_length_[i] = 0;
    ResetFromGroup(i, obs.subspan(i * d, d));
  }
}

void VectorEnv::ResetFromGroup(int i, std::span<float> obs) {
  const int g = i / group_size_;
  if (group_taken_[g] == group_size_) {  // the current seed has its K episodes: the next one
    ++group_episode_[g];
    group_taken_[g] = 0;
  }
  ++group_taken_[g];
  episode_seed_[i] = GroupSeed(group_seed_base_, g, group_episode_[g]);
  envs_[i]->Reset(episode_seed_[i], obs);
}

Status VectorEnv::Step(std::span<const float> actions, std::span<float> obs,
                       std::span<float> rewards, std::span<uint8_t> terminated,
                       std::span<uint8_t> truncated, VectorStepOutput& out) {
  const int n = num_envs(), d = obs_dim(), w = action_width();
  if (static_cast<int>(actions.size()) != n * w) {
    return InvalidArgumentError(spec().id + ": expected " + std::to_string(n * w) +
                                " action values for " + std::to_string(n) + " envs, got " +
                                std::to_string(actions.size()));
  }
  FLEET_CHECK(static_cast<int>(obs.size()) == n * d);
  // all actions are checked before any env moves, so a bad batch changes nothing.
  for (int i = 0; i < n; ++i) {
    if (Status st = envs_[i]->ValidateAction(actions.subspan(i * w, w)); !st.ok()) {
      return InvalidArgumentError("env " + std::to_string(i) + ": " + st.message());
    }
  }
  out.Clear();
  if (pool_) {
    const int workers = pool_->size();
    const std::function<void(int)> job = [&](int t) {
      StepRange(t * n / workers, (t + 1) * n / workers, actions, obs, rewards, terminated,
                truncated);
    };
    pool_->Run(job);
  } else {
    StepRange(0, n, actions, obs, rewards, terminated, truncated);
  }
  // merged in env order: the same output for any number of threads.
  for (int i = 0; i < n; ++i) {
    if (!ended_[i]) continue;
    if (group_size_ > 0) {
      ended_seed_[i] = episode_seed_[i];
      ResetFromGroup(i, obs.subspan(i * d, d));
    }
    out.final_indices.push_back(i);
    out.final_observations.insert(out.final_observations.end(), final_obs_.begin() + i * d,
                                  final_obs_.begin() + (i + 1) * d);
    out.episode_returns.push_back(ended_return_[i]);
    out.episode_lengths.push_back(ended_length_[i]);
    if (group_size_ > 0) out.episode_seeds.push_back(ended_seed_[i]);
  }
  return OkStatus();
}

}  // namespace fleet::envs
