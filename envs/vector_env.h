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
  // with grouped seeding: the seed each ended episode was reset with; else empty.
  std::vector<uint64_t> episode_seeds;
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

  // Resets env i with seed + i. `obs` is (num_envs x obs_dim). Later episodes continue
  // each env's generator (Gymnasium's seeding).
  void Reset(uint64_t seed, std::span<float> obs);
  // Grouped seeding: envs [g K, (g + 1) K) form group g, which hands out the seeds
  // GroupSeed(seed, g, n), n = 0, 1, ..., each to exactly K episodes: every reset of one
  // of its envs (this one and the auto-resets) takes the current seed, or the next one
  // once the current one has started K episodes. So each seed starts K episodes from one
  // start state, whichever of the group's envs play them (a fast env may play two of
  // them), and a seed's K episodes start close together, however different the episode
  // lengths. Auto-resets run in env order after the step: deterministic for any number
  // of threads. Each ended episode's seed is reported in VectorStepOutput::episode_seeds.
  // num_envs must be a multiple of K.
  void ResetGrouped(uint64_t seed, int group_size, std::span<float> obs);
  // A 63-bit seed mixed from (base, group, episode) with splitmix64.
  static uint64_t GroupSeed(uint64_t base, int group, int64_t episode);

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
  // grouped seeding: 0 = off; the seed base, each group's seed dispenser, each env's seed.
  void ResetFromGroup(int i, std::span<float> obs);
  int group_size_ = 0;
  uint64_t group_seed_base_ = 0;
  std::vector<int64_t> group_episode_;  // per group: the index n of its current seed
  std::vector<int> group_taken_;        // per group: episodes started from it
  std::vector<uint64_t> episode_seed_;
  std::vector<uint64_t> ended_seed_;
  std::unique_ptr<WorkerPool> pool_;
};

}  // namespace fleet::envs
