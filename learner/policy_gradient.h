// The episode-based policy gradients behind the Algorithm interface: REINFORCE and the
// group-relative policy gradient (pg_config.h has their hyperparameters and sources).
// Both learn from complete episodes, which learner/episodes.h assembles from the
// chunks; a batch in which no episode (no group) completed makes no gradient step. The
// network is PPO's actor-critic MLP (learner.network), exported to the actors the same
// way (Eigen MLPs, sampled actions with their log-probs); REINFORCE trains its critic only
// as the optional baseline, the group-relative method never. Not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "learner/actor_critic.h"
#include "learner/algorithm.h"
#include "learner/episodes.h"
#include "learner/pg_config.h"
#include "learner/torch_runtime.h"

namespace fleet::learner {

struct PgLossTerms {
  torch::Tensor loss, policy_loss, value_loss, entropy, approx_kl, clip_fraction, ref_kl;
};

// REINFORCE on a batch of steps with Monte-Carlo returns G:
//   A = G - V(s) (V detached) with the baseline, else G; standardized over the batch
//   (normalize_advantages: (A - mean) / (std + 1e-8));
//   loss = -mean(log pi(a|s) A) - ent_coef mean(entropy) [+ vf_coef 0.5 mean((V - G)^2)].
PgLossTerms ComputeReinforceLoss(const PolicyOutput& current, const torch::Tensor& returns,
                                 const ReinforceConfig& config);

// The group-relative update's loss on a minibatch with per-step advantages A:
//   r = exp(log pi - log pi_behaviour),
//   policy_loss = mean(max(-A r, -A clip(r, 1 - clip_coef, 1 + clip_coef))),
//   ref_kl = mean(exp(q) - q - 1), q = log pi_ref - log pi (the k3 estimator DeepSeekMath
//   uses; `ref_logprob` undefined: 0),
//   loss = policy_loss - ent_coef mean(entropy) + kl_coef ref_kl.
PgLossTerms ComputeGrpoLoss(const PolicyOutput& current, const torch::Tensor& behaviour_logprob,
                            const torch::Tensor& advantages, const torch::Tensor& ref_logprob,
                            const GrpoConfig& config);

// What both keep: the network, Adam, the episode assembler; export, save and restore.
class EpisodicPolicyGradient : public Algorithm {
 public:
  proto::PolicyWeights ExportPolicy(uint64_t version) override;
  Status Save(const std::string& dir, const std::string& prefix, std::string* state) override;
  Status Restore(const std::string& dir, const std::string& state) override;
  void Reseed(uint64_t seed) override;

  ActorCritic& model() { return model_; }

 protected:
  EpisodicPolicyGradient(const AlgorithmInfo* info, const envs::EnvSpec& spec,
                         const NetworkOptions& net, double learning_rate, uint64_t seed,
                         const std::string& device);
  // The steps of `episodes` as tensors on the device.
  struct Steps {
    torch::Tensor obs, actions, behaviour_logprob;
    int64_t count = 0;
  };
  Steps Gather(const std::vector<const Episode*>& episodes) const;
  void SetLearningRate(double lr);
  // extra modules saved with the model (the reference policy), name -> module.
  virtual std::vector<std::pair<std::string, ActorCritic>> ExtraModules() { return {}; }
  // The model and the extra modules, as the checkpoint stores them.
  NamedModules Modules();

  const AlgorithmInfo* info_;
  envs::EnvSpec spec_;
  NetworkOptions net_;
  torch::Device device_;
  ActorCritic model_;
  torch::optim::Adam optimizer_;
  EpisodeAssembler assembler_;
};

class ReinforceAlgorithm : public EpisodicPolicyGradient {
 public:
  static StatusOr<std::unique_ptr<ReinforceAlgorithm>> Create(const ExperimentConfig& config,
                                                              const envs::EnvSpec& spec);
  const AlgorithmInfo& info() const override { return *info_; }
  std::string Describe() const override;
  const std::vector<MetricSpec>& metrics() const override;
  using Algorithm::Update;
  StatusOr<std::vector<double>> Update(RolloutBatch& batch, const UpdateProgress& progress) override;

 private:
  ReinforceAlgorithm(const AlgorithmInfo* info, const envs::EnvSpec& spec,
                     const NetworkOptions& net, const ReinforceConfig& config, uint64_t seed,
                     const std::string& device);
  ReinforceConfig config_;
};

class GrpoAlgorithm : public EpisodicPolicyGradient {
 public:
  static StatusOr<std::unique_ptr<GrpoAlgorithm>> Create(const ExperimentConfig& config,
                                                         const envs::EnvSpec& spec);
  const AlgorithmInfo& info() const override { return *info_; }
  std::string Describe() const override;
  const std::vector<MetricSpec>& metrics() const override;
  using Algorithm::Update;
  StatusOr<std::vector<double>> Update(RolloutBatch& batch, const UpdateProgress& progress) override;

 protected:
  std::vector<std::pair<std::string, ActorCritic>> ExtraModules() override;

 private:
  GrpoAlgorithm(const AlgorithmInfo* info, const envs::EnvSpec& spec, const NetworkOptions& net,
                const GrpoConfig& config, int group_size, uint64_t seed, const std::string& device);
  void CopyToReference();

  GrpoConfig config_;
  int group_size_;
  EpisodeGrouper grouper_;
  ActorCritic reference_;  // kl_coef > 0 only
};

}  // namespace fleet::learner
