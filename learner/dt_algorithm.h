// The Decision Transformer behind the learner's Algorithm interface: trained from dataset
// windows (BatchSource::kOffline) with the official recipe (AdamW, linear warm-up,
// gradient-norm clip; MSE on the actions of present steps, cross-entropy for discrete
// actions), states normalized with the dataset's statistics and returns-to-go divided by
// rtg_scale. Exports the model, the statistics and the target return as
// PolicyWeights.transformer, which actors run on Eigen (actor/dt_policy.h). Not
// thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "learner/algorithm.h"
#include "learner/decision_transformer.h"
#include "learner/dt_config.h"

namespace fleet::learner {

class DtAlgorithm : public Algorithm {
 public:
  static StatusOr<std::unique_ptr<DtAlgorithm>> Create(const ExperimentConfig& config,
                                                       const envs::EnvSpec& spec,
                                                       const DatasetStats& dataset);

  const AlgorithmInfo& info() const override { return *info_; }
  std::string Describe() const override;
  const std::vector<MetricSpec>& metrics() const override;
  OfflinePlan offline_plan() const override {
    return {config_.batch_size, config_.context_len, config_.train_steps, config_.log_every};
  }
  using Algorithm::Update;
  StatusOr<std::vector<double>> Update(const WindowBatch& batch, const UpdateProgress& progress) override;
  proto::PolicyWeights ExportPolicy(uint64_t version) override;
  Status Save(const std::string& dir, const std::string& prefix, std::string* state) override;
  Status Restore(const std::string& dir, const std::string& state) override;
  void Reseed(uint64_t seed) override;

  DecisionTransformer& model() { return model_; }
  // The batch as the model's input tensors (normalized states, one-hot or raw actions,
  // scaled returns-to-go, clipped timesteps, mask), on the model's device.
  struct Inputs {
    torch::Tensor states, actions, rtg, timesteps, mask, targets;
  };
  Inputs Prepare(const WindowBatch& batch) const;
  // The loss of `predictions` (B x K x A) on the present steps of `in`.
  torch::Tensor Loss(const torch::Tensor& predictions, const Inputs& in) const;

 private:
  DtAlgorithm(const AlgorithmInfo* info, const envs::EnvSpec& spec, const DtConfig& config,
              const DtShape& shape, std::vector<float> state_mean, std::vector<float> state_std,
              float target_return, uint64_t seed, const std::string& device);

  const AlgorithmInfo* info_;
  envs::EnvSpec spec_;
  DtConfig config_;
  torch::Device device_;
  DecisionTransformer model_;
  torch::optim::AdamW optimizer_;
  std::vector<float> state_mean_, state_std_;
  float target_return_;
};

}  // namespace fleet::learner
