// Soft Actor-Critic's networks and gradient step (learner.sac, sac_config.h): twin soft Q
// networks with Polyak-averaged targets, a tanh-squashed Gaussian policy scaled to the
// action bounds, and the entropy temperature, as CleanRL's sac_continuous_action.py
// computes them (its log-std bounds -5..2, its 1e-6 in the squash correction). One call
// of Update is one of CleanRL's global steps after learning_starts: a critic step, every
// policy_frequency steps that many policy (and temperature) steps, the targets moved by
// tau every target_network_frequency steps. Where batches come from (a replay table) is
// the caller's.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <string>
#include <vector>

#include "common/status.h"
#include "learner/pch.h"
#include "learner/sac_config.h"
#include "replay/transition_batch.h"

namespace fleet::learner {

inline constexpr double kSacLogStdMin = -5.0;
inline constexpr double kSacLogStdMax = 2.0;

// ReLU MLP: in -> hidden... -> out (torch.nn.Linear's default initialization).
class SacMlpImpl : public torch::nn::Module {
 public:
  SacMlpImpl(int in, const std::vector<int>& hidden, int out);
  torch::Tensor forward(torch::Tensor x);
  const std::vector<torch::nn::Linear>& layers() const { return layers_; }

 private:
  std::vector<torch::nn::Linear> layers_;
};
TORCH_MODULE(SacMlp);

struct SquashedSample {
  torch::Tensor action;       // (B x A), inside the bounds
  torch::Tensor log_prob;     // (B)
  torch::Tensor mean_action;  // (B x A): tanh(mean) scaled, the deterministic action
};

class SacActorImpl : public torch::nn::Module {
 public:
  SacActorImpl(int obs_dim, const std::vector<int>& hidden, std::vector<float> low,
               std::vector<float> high);
  // mean and log-std (bounded to [kSacLogStdMin, kSacLogStdMax] through tanh) (B x A).
  std::pair<torch::Tensor, torch::Tensor> forward(torch::Tensor obs);
  // a reparameterized sample (gradients flow through it) and its log-probability.
  SquashedSample Sample(const torch::Tensor& obs);
  const torch::Tensor& action_scale() const { return scale_; }
  const torch::Tensor& action_bias() const { return bias_; }
  // the layers, for export to the actors (learner/sac_algorithm.h): the trunk's every
  // layer is followed by ReLU, the heads read its output.
  SacMlp& trunk() { return trunk_; }
  torch::nn::Linear& mean_head() { return mean_; }
  torch::nn::Linear& log_std_head() { return log_std_; }

 private:
  SacMlp trunk_{nullptr};
  torch::nn::Linear mean_{nullptr}, log_std_{nullptr};
  torch::Tensor scale_, bias_;  // buffers: (high - low) / 2, (high + low) / 2
};
TORCH_MODULE(SacActor);

// log pi(a|s) of a = tanh(x) * scale + bias with x ~ N(mean, exp(log_std)): the Gaussian's
// log-density of x minus sum log(scale (1 - tanh(x)^2) + 1e-6). (B x A) in, (B) out.
torch::Tensor SquashedLogProb(const torch::Tensor& x, const torch::Tensor& mean,
                              const torch::Tensor& log_std, const torch::Tensor& scale);

// The critics' target: r + gamma (1 - terminated) (min_j Q'_j(s', a') - alpha log pi(a'|s')).
torch::Tensor SoftQTarget(const torch::Tensor& rewards, const torch::Tensor& terminated,
                          const torch::Tensor& next_min_q, const torch::Tensor& next_log_prob,
                          double alpha, double gamma);

// target <- tau * online + (1 - tau) * target, parameter by parameter.
void PolyakUpdate(torch::nn::Module& target, const torch::nn::Module& online, double tau);

struct SacStepMetrics {
  double qf1_loss = 0, qf2_loss = 0, qf1_value = 0, qf2_value = 0;
  double actor_loss = 0, alpha = 0, alpha_loss = 0;
  bool policy_updated = false;
};

class Sac {
 public:
  Sac(int obs_dim, std::vector<float> action_low, std::vector<float> action_high,
      const SacConfig& config, uint64_t seed, const std::string& device = "cpu");

  // One global step on a batch of transitions (obs, actions, rewards, next_obs,
  // terminated). InvalidArgument when its sizes do not fit.
  StatusOr<SacStepMetrics> Update(const replay::TransitionBatch& batch);

  SacActor& actor() { return actor_; }
  SacMlp& qf1() { return qf1_; }
  SacMlp& qf2() { return qf2_; }
  SacMlp& qf1_target() { return qf1_target_; }
  SacMlp& qf2_target() { return qf2_target_; }
  double alpha() const;
  int64_t steps() const { return steps_; }
  // a checkpoint's step count (the policy_frequency and target_network_frequency phases)
  void set_steps(int64_t steps) { steps_ = steps; }
  torch::Tensor& log_alpha() { return log_alpha_; }
  // null without autotune
  torch::optim::Adam* alpha_optimizer() { return alpha_opt_.get(); }
  double target_entropy() const { return target_entropy_; }
  torch::optim::Adam& q_optimizer() { return q_opt_; }
  torch::optim::Adam& actor_optimizer() { return actor_opt_; }
  torch::Device device() const { return device_; }

 private:
  SacConfig c_;
  int obs_dim_, action_dim_;
  torch::Device device_;
  SacActor actor_;
  SacMlp qf1_, qf2_, qf1_target_, qf2_target_;
  torch::Tensor log_alpha_;
  double target_entropy_;
  torch::optim::Adam q_opt_, actor_opt_;
  std::unique_ptr<torch::optim::Adam> alpha_opt_;
  int64_t steps_ = 0;
};

}  // namespace fleet::learner
