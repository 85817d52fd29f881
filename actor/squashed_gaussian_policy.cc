#include "actor/squashed_gaussian_policy.h"

#include <cmath>

namespace fleet::actor {
namespace {

Status ReadLayer(const proto::Layer& l, int in, int out, const char* name, RowMatrix& w,
                 Eigen::RowVectorXf& b) {
  if (static_cast<int>(l.in_dim()) != in || static_cast<int>(l.out_dim()) != out ||
      l.weight_size() != in * out || l.bias_size() != out) {
    return InvalidArgumentError(std::string("weights: the squashed Gaussian's ") + name +
                                " head is " + std::to_string(l.out_dim()) + "x" +
                                std::to_string(l.in_dim()) + " with " +
                                std::to_string(l.weight_size()) + " weights, not " +
                                std::to_string(out) + "x" + std::to_string(in));
  }
  w = Eigen::Map<const RowMatrix>(l.weight().data(), out, in);
  b = Eigen::Map<const Eigen::RowVectorXf>(l.bias().data(), out);
  return OkStatus();
}

}  // namespace

StatusOr<SquashedGaussianPolicy> SquashedGaussianPolicy::FromProto(
    const proto::PolicyWeights& weights, int obs_dim, int action_dim, bool deterministic) {
  const proto::SquashedGaussian& g = weights.squashed_gaussian();
  SquashedGaussianPolicy p;
  p.version_ = weights.version();
  p.deterministic_ = deterministic;
  p.obs_dim_ = obs_dim;
  p.action_dim_ = action_dim;
  FLEET_ASSIGN_OR_RETURN(p.trunk_, Mlp::FromProto(g.trunk(), /*activate_last=*/true));
  if (p.trunk_.in_dim() != obs_dim) {
    return InvalidArgumentError("weights: the squashed Gaussian's input is " +
                                std::to_string(p.trunk_.in_dim()) + " wide, the env's observation " +
                                std::to_string(obs_dim));
  }
  const int hidden = p.trunk_.out_dim();
  FLEET_RETURN_IF_ERROR(ReadLayer(g.mean(), hidden, action_dim, "mean", p.mean_w_, p.mean_b_));
  FLEET_RETURN_IF_ERROR(ReadLayer(g.log_std(), hidden, action_dim, "log-std", p.log_std_w_, p.log_std_b_));
  if (g.action_scale_size() != action_dim || g.action_bias_size() != action_dim) {
    return InvalidArgumentError("weights: the squashed Gaussian's action scale and bias have " +
                                std::to_string(g.action_scale_size()) + " and " +
                                std::to_string(g.action_bias_size()) + " entries for " +
                                std::to_string(action_dim) + " action dimensions");
  }
  if (!(g.log_std_min() < g.log_std_max())) {
    return InvalidArgumentError("weights: the squashed Gaussian's log-std bounds are not ordered");
  }
  p.log_std_min_ = g.log_std_min();
  p.log_std_max_ = g.log_std_max();
  p.scale_.assign(g.action_scale().begin(), g.action_scale().end());
  p.bias_.assign(g.action_bias().begin(), g.action_bias().end());
  return p;
}

void SquashedGaussianPolicy::Forward(std::span<const float> obs, int n, RowMatrix& mean,
                                     RowMatrix& log_std) {
  FLEET_CHECK(static_cast<int>(obs.size()) == n * obs_dim_);
  x_ = Eigen::Map<const RowMatrix>(obs.data(), n, obs_dim_);
  trunk_.Forward(x_, h_);
  mean.noalias() = h_ * mean_w_.transpose();
  mean.rowwise() += mean_b_;
  log_std.noalias() = h_ * log_std_w_.transpose();
  log_std.rowwise() += log_std_b_;
  const float half_range = 0.5f * (log_std_max_ - log_std_min_);
  log_std = ((log_std.array().tanh() + 1.0f) * half_range + log_std_min_).matrix();
}

void SquashedGaussianPolicy::Act(std::span<const float> obs, int n, std::mt19937_64& rng,
                                 std::span<float> actions, std::span<float> logprobs,
                                 std::span<float>) {
  Forward(obs, n, mean_, log_std_);
  const int A = action_dim_;
  if (deterministic_) {
    for (int b = 0; b < n; ++b) {
      for (int j = 0; j < A; ++j) actions[b * A + j] = std::tanh(mean_(b, j)) * scale_[j] + bias_[j];
    }
    return;
  }
  constexpr float kHalfLog2Pi = 0.91893853320467274f;
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int b = 0; b < n; ++b) {
    float lp = 0.0f;
    for (int j = 0; j < A; ++j) {
      const float eps = normal(rng);
      const float x = mean_(b, j) + std::exp(log_std_(b, j)) * eps;
      const float y = std::tanh(x);
      actions[b * A + j] = y * scale_[j] + bias_[j];
      lp += -0.5f * eps * eps - log_std_(b, j) - kHalfLog2Pi -
            std::log(scale_[j] * (1.0f - y * y) + 1e-6f);
    }
    logprobs[b] = lp;
  }
}

}  // namespace fleet::actor
