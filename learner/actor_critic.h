// The PPO network: separate actor and critic MLPs (CleanRL's layout), orthogonal
// initialization (hidden gain sqrt(2), policy head 0.01, value head 1), a categorical
// head for discrete actions or a diagonal Gaussian with state-independent log-std.
#pragma once

#include <string>
#include <vector>

#include "learner/pch.h"

namespace fleet::learner {

struct NetworkOptions {
  int obs_dim = 0;
  // discrete: number of actions; continuous: action dimension.
  int action_dim = 0;
  bool discrete = true;
  std::vector<int> hidden = {64, 64};
  std::string activation = "tanh";  // or "relu"
};

struct PolicyOutput {
  torch::Tensor logprob;  // (B)
  torch::Tensor entropy;  // (B)
  torch::Tensor value;    // (B)
};

// tanh with autograd, computed through vectorized exp (see actor_critic.cc).
torch::Tensor Tanh(const torch::Tensor& x);

class ActorCriticImpl : public torch::nn::Module {
 public:
  explicit ActorCriticImpl(const NetworkOptions& options);

  const NetworkOptions& options() const { return options_; }
  // obs: (B x obs_dim) -> (B).
  torch::Tensor Value(const torch::Tensor& obs);
  // logits (discrete) or mean (continuous): (B x action_dim).
  torch::Tensor PolicyHead(const torch::Tensor& obs);
  // Log-prob and entropy of `actions` ((B) int64 or (B x action_dim) float) and values.
  PolicyOutput Evaluate(const torch::Tensor& obs, const torch::Tensor& actions);

  const std::vector<torch::nn::Linear>& actor_layers() const { return actor_; }
  const std::vector<torch::nn::Linear>& critic_layers() const { return critic_; }
  const torch::Tensor& log_std() const { return log_std_; }

 private:
  torch::Tensor Run(std::vector<torch::nn::Linear>& layers, torch::Tensor x);

  NetworkOptions options_;
  std::vector<torch::nn::Linear> actor_, critic_;
  torch::Tensor log_std_;  // (1 x action_dim), continuous only
};
TORCH_MODULE(ActorCritic);

}  // namespace fleet::learner
