// SAC behind the learner's Algorithm interface (BatchSource::kReplay): each update is one
// of CleanRL's global steps (sac.h) on a sample the store's replay table served. Before
// its first update it exports uniform random actions (the warm-up: the table serves its
// first sample at replay.min_size = learner.sac.learning_starts transitions); after, the
// tanh-squashed Gaussian actor, which actors run on Eigen
// (actor/squashed_gaussian_policy.h). Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "learner/algorithm.h"
#include "learner/sac.h"
#include "learner/torch_runtime.h"

namespace fleet::learner {

class SacAlgorithm : public Algorithm {
 public:
  // InvalidArgument for a discrete or unbounded action space.
  static StatusOr<std::unique_ptr<SacAlgorithm>> Create(const ExperimentConfig& config,
                                                        const envs::EnvSpec& spec);

  const AlgorithmInfo& info() const override { return *info_; }
  std::string Describe() const override;
  const std::vector<MetricSpec>& metrics() const override;
  ReplayPlan replay_plan() const override;
  using Algorithm::Update;
  StatusOr<std::vector<double>> Update(const replay::TransitionBatch& batch,
                                       const UpdateProgress& progress) override;
  proto::PolicyWeights ExportPolicy(uint64_t version) override;
  Status Save(const std::string& dir, const std::string& prefix, std::string* state) override;
  Status Restore(const std::string& dir, const std::string& state) override;
  void Reseed(uint64_t seed) override;

  Sac& sac() { return sac_; }

 private:
  SacAlgorithm(const AlgorithmInfo* info, const envs::EnvSpec& spec, const SacConfig& config,
               std::vector<float> low, std::vector<float> high, uint64_t seed,
               const std::string& device);

  // its networks as checkpoint files name them (actor.pt, qf1.pt, ...)
  NamedModules Modules();

  const AlgorithmInfo* info_;
  envs::EnvSpec spec_;
  SacConfig config_;
  Sac sac_;
  SacStepMetrics last_policy_step_;  // the actor's and temperature's last losses
};

// The actor's parameters as actors run them (PolicyWeights.squashed_gaussian).
proto::PolicyWeights ExportSquashedGaussian(SacActor& actor, uint64_t version);

}  // namespace fleet::learner
