// N envs of one id stepped as a batch, with same-step auto-reset: when an env's episode
// ends (terminated or truncated) in Step(), the env is reset at once and the returned
// observation is the first one of the next episode; the observation the episode ended in
// is reported in StepOutput::final_* (Gymnasium's AutoresetMode.SAME_STEP, EnvPool's
// behaviour). Episode returns and lengths are tracked as Gymnasium's
// RecordEpisodeStatistics does. With num_threads > 1 the envs are split into that many
// contiguous ranges stepped in parallel by worker threads (owned, joined on destruction);
// results are merged in env order, so a seeded run is the same with any thread count.
// Not thread-safe: one caller at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "envs/env.h"

namespace fleet::envs {

struct VectorStepOutput {
  // indices of envs whose episode ended in this step, with its final observation
  // (final_indices.size() x obs_dim), its return and its length.
  std::vector<int> final_indices;
  std::vector<float> final_observations;
  std::vector<double> episode_returns;
  std::vector<int> episode_lengths;
  void Clear();
};

class VectorEnv {
 public:
  static StatusOr<std::unique_ptr<VectorEnv>> Create(
      const std::string& id, int num_envs, const std::map<std::string, std::string>& options = {},
      int num_threads = 1);
  ~VectorEnv();

  int num_envs() const { return static_cast<int>(envs_.size()); }
  const EnvSpec& spec() const { return envs_[0]->spec(); }
  int obs_dim() const { return envs_[0]->obs_dim(); }
  int action_width() const { return envs_[0]->action_width(); }
  Env& env(int i) { return *envs_[i]; }

  // Resets env i with seed + i. `obs` is (num_envs x obs_dim).
  void Reset(uint64_t seed, std::span<float> obs);

  // Steps every env. `actions` is (num_envs x action_width); outputs are (num_envs) and
  // (num_envs x obs_dim). On an invalid action nothing is stepped and the error names the
  // env index.
  Status Step(std::span<const float> actions, std::span<float> obs, std::span<float> rewards,
              std::span<uint8_t> terminated, std::span<uint8_t> truncated,
              VectorStepOutput& out);

 private:
  class WorkerPool;
  VectorEnv(std::vector<std::unique_ptr<Env>> envs, int num_threads);
  // steps envs [begin, end) with validated actions into the output rows.
  void StepRange(int begin, int end, std::span<const float> actions, std::span<float> obs,
                 std::span<float> rewards, std::span<uint8_t> terminated,
                 std::span<uint8_t> truncated);

  std::vector<std::unique_ptr<Env>> envs_;
  std::vector<double> episode_return_;
  std::vector<int> episode_length_;
  // per env, filled by StepRange: did the episode end, its final observation and stats.
  std::vector<uint8_t> ended_;
  std::vector<float> final_obs_;
  std::vector<double> ended_return_;
  std::vector<int> ended_length_;
  std::unique_ptr<WorkerPool> pool_;
};

}  // namespace fleet::envs
