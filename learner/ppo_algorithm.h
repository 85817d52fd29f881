// PPO behind the learner's Algorithm interface: the update of ppo.h plus what PPO keeps
// between updates besides its network: reward scaling per (actor, env) stream
// (norm_reward) and the observation statistics shipped with each recent weight version
// (norm_obs: each chunk is normalized with the statistics its behaviour policy used).
// Exports the actor-critic as PolicyWeights (Eigen MLPs in the actors). Not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "learner/algorithm.h"
#include "learner/normalizers.h"
#include "learner/ppo.h"

namespace fleet::learner {

class PpoAlgorithm : public Algorithm {
 public:
  static StatusOr<std::unique_ptr<PpoAlgorithm>> Create(const ExperimentConfig& config,
                                                        const envs::EnvSpec& spec);

  const AlgorithmInfo& info() const override { return *info_; }
  std::string Describe() const override;
  const std::vector<MetricSpec>& metrics() const override;
  using Algorithm::Update;
  StatusOr<std::vector<double>> Update(RolloutBatch& batch, const UpdateProgress& progress) override;
  proto::PolicyWeights ExportPolicy(uint64_t version) override;
  Status Save(const std::string& dir, const std::string& prefix, std::string* state) override;
  Status Restore(const std::string& dir, const std::string& state) override;
  void Reseed(uint64_t seed) override;

  Ppo& ppo() { return ppo_; }

 private:
  PpoAlgorithm(const AlgorithmInfo* info, const envs::EnvSpec& spec, const NetworkOptions& net,
               const PpoConfig& config, uint64_t seed, const std::string& device,
               int max_policy_lag);

  const AlgorithmInfo* info_;
  envs::EnvSpec spec_;
  PpoConfig config_;
  Ppo ppo_;
  RewardScaler reward_scaler_;
  int max_policy_lag_;
  // observation statistics shipped with the latest weight versions (norm_obs).
  std::map<uint64_t, RunningMeanStd> shipped_obs_rms_;
};

}  // namespace fleet::learner
