// The actors' policy: the learner's actor-critic evaluated with Eigen from the parameters
// of a PolicyWeights message, so actor processes never load libtorch. Matches the
// learner's libtorch forward pass within float tolerance (tests/actor/mlp_policy_test.cc).
// Not thread-safe; one per actor thread.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include <Eigen/Dense>

#include "common/status.h"
#include "proto/fleet.pb.h"

namespace fleet::actor {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// One MLP: hidden layers with an activation, linear output.
class Mlp {
 public:
  // `activate_last`: the last layer is followed by the activation too (a trunk that
  // heads read from), else it is linear.
  static StatusOr<Mlp> FromProto(const proto::Mlp& mlp, bool activate_last = false);
  int in_dim() const { return static_cast<int>(weights_.front().cols()); }
  int out_dim() const { return static_cast<int>(weights_.back().rows()); }
  // x: (batch x in_dim) -> (batch x out_dim).
  void Forward(const RowMatrix& x, RowMatrix& out) const;

 private:
  std::vector<RowMatrix> weights_;            // (out x in) each
  std::vector<Eigen::RowVectorXf> biases_;    // (out) each
  proto::Activation activation_ = proto::ACTIVATION_TANH;
  bool activate_last_ = false;
  mutable std::vector<RowMatrix> scratch_;
};

class MlpPolicy {
 public:
  // Validates layer shapes against each other and against obs_dim / action space.
  // action_mask_offset >= 0 (discrete only): the observation holds the action mask
  // there (envs::EnvSpec::action_mask_offset); masked actions get probability 0.
  static StatusOr<MlpPolicy> FromProto(const proto::PolicyWeights& weights, int obs_dim,
                                       int num_actions_or_dim, bool discrete,
                                       int action_mask_offset = -1);

  uint64_t version() const { return version_; }

  // obs: (batch x obs_dim) raw observations (normalized here if the weights carry a
  // normalizer). Samples actions with `rng`. actions: (batch x action_width) with the
  // discrete index as a float; logprobs, values: (batch).
  void Act(std::span<const float> obs, int batch, std::mt19937_64& rng, std::span<float> actions,
           std::span<float> logprobs, std::span<float> values);

  // Deterministic action (argmax / mean), for evaluation; the critic's values too when
  // `values` is not empty.
  void ActGreedy(std::span<const float> obs, int batch, std::span<float> actions,
                 std::span<float> values = {});

  // Gaussian sampling: each row's noise is drawn anew every `steps` calls of Act and
  // held in between (1: every call). Rows are envs, in a fixed order.
  // Held noise starts over with each MlpPolicy (an actor builds one per weights version)
  // and for a row whose episode ended (EndEpisodes).
  void set_noise_hold(int steps) { noise_hold_ = steps < 1 ? 1 : steps; }
  void EndEpisodes(std::span<const uint8_t> ended) {
    for (size_t b = 0; b < ended.size() && b < held_left_.size(); ++b) {
      if (ended[b]) held_left_[b] = 0;
    }
  }

 private:
  void Prepare(std::span<const float> obs, int batch);
  // sets masked logits of row b to -inf (from the raw observations); none if all are masked.
  void Mask(std::span<const float> obs, int b);

  uint64_t version_ = 0;
  int noise_hold_ = 1;
  std::vector<float> held_eps_;   // (batch x action_dim)
  std::vector<int> held_left_;    // per row: calls before new noise
  bool discrete_ = true;
  int obs_dim_ = 0;
  int action_width_ = 1;
  int mask_offset_ = -1;
  Mlp actor_, critic_;
  std::vector<float> log_std_;
  std::vector<float> norm_mean_, norm_inv_std_;
  float norm_clip_ = 0.0f;
  RowMatrix x_, logits_, value_;
};

}  // namespace fleet::actor
