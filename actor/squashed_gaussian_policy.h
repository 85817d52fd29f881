// Soft Actor-Critic's tanh-squashed Gaussian policy (learner/sac.h trains it) evaluated
// with Eigen from a PolicyWeights message's squashed_gaussian, so actors never load
// libtorch: a ReLU trunk, a mean head and a log-std head bounded through tanh, the
// action tanh(mean + std eps) scaled to the action bounds, its log-probability with the
// squash correction (CleanRL's sac_continuous_action.py, its 1e-6 included); the mean's
// tanh when deterministic (evaluation). Matches the learner's libtorch forward pass
// (tests/learner/sac_test.cc). Not thread-safe; one per actor thread.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "actor/mlp_policy.h"
#include "actor/policy.h"
#include "common/status.h"
#include "proto/fleet.pb.h"

namespace fleet::actor {

class SquashedGaussianPolicy : public Policy {
 public:
  // Validates the shapes against the env's obs_dim and action_dim.
  static StatusOr<SquashedGaussianPolicy> FromProto(const proto::PolicyWeights& weights,
                                                    int obs_dim, int action_dim,
                                                    bool deterministic);

  uint64_t version() const override { return version_; }
  // the log-probability of each sampled action (none when deterministic), no critic.
  PolicyOutputs outputs() const override { return {!deterministic_, false}; }
  void Act(std::span<const float> obs, int n, std::mt19937_64& rng, std::span<float> actions,
           std::span<float> logprobs, std::span<float> values) override;

  // mean and bounded log-std of the Gaussian before the squash, (n x action_dim) each.
  void Forward(std::span<const float> obs, int n, RowMatrix& mean, RowMatrix& log_std);

 private:
  uint64_t version_ = 0;
  bool deterministic_ = false;
  int obs_dim_ = 0, action_dim_ = 0;
  Mlp trunk_;
  RowMatrix mean_w_, log_std_w_;
  Eigen::RowVectorXf mean_b_, log_std_b_;
  float log_std_min_ = 0, log_std_max_ = 0;
  std::vector<float> scale_, bias_;
  RowMatrix x_, h_, mean_, log_std_;
};

}  // namespace fleet::actor
