// The PPO network: an actor MLP and a critic MLP of the same hidden sizes (CleanRL's
// separate-network layout), orthogonal initialization (hidden gain sqrt(2), policy head
// 0.01, value head 1), a categorical head for discrete actions or a diagonal Gaussian with
// state-independent log-std.
//
// The two MLPs are evaluated together: layer i of both is one (2 x in x out) parameter
// and one batched matmul (baddbmm), which halves the op count of a PPO step against two
// torch::nn::Linear stacks (the update is op-overhead bound at these sizes). The maths
// is exactly that of two separate networks. The critic's output layer is padded to the
// actor's width; its extra columns start at zero, get no gradient and are never read.
#pragma once

#include <string>
#include <vector>

#include "learner/mlp_config.h"
#include "learner/pch.h"

namespace fleet::envs {
struct EnvSpec;
}  // namespace fleet::envs

namespace fleet::learner {

struct NetworkOptions {
  int obs_dim = 0;
  // discrete: number of actions; continuous: action dimension.
  int action_dim = 0;
  bool discrete = true;
  // discrete only: the observation's action mask (envs::EnvSpec::action_mask_offset);
  // masked actions' logits become -1e9 (probability 0, no NaN in the entropy). -1: none.
  int action_mask_offset = -1;
  MlpConfig mlp;  // learner.network
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

  int num_layers() const { return static_cast<int>(weights_.size()); }
  // Layer `i` of the actor (net 0) or critic (net 1) as torch::nn::Linear stores it:
  // weight (out x in), bias (out); the critic's output layer has out = 1.
  torch::Tensor LayerWeight(int net, int i) const;
  torch::Tensor LayerBias(int net, int i) const;
  const torch::Tensor& log_std() const { return log_std_; }

 private:
  torch::Tensor MaskLogits(const torch::Tensor& logits, const torch::Tensor& obs) const;
  // (2 x B x width): actor output in [0], critic output in [1] (column 0).
  torch::Tensor Twin(const torch::Tensor& obs);

  NetworkOptions options_;
  std::vector<torch::Tensor> weights_;  // (2 x in x out) each
  std::vector<torch::Tensor> biases_;   // (2 x 1 x out) each
  torch::Tensor log_std_;               // (1 x action_dim), continuous only
};
TORCH_MODULE(ActorCritic);

// The network for `spec`: its observation size, action space and action mask, with the
// hidden layers of learner.network.
NetworkOptions NetworkOptionsFor(const envs::EnvSpec& spec, const MlpConfig& mlp);

// A freshly initialized network; the same seed gives the same weights.
ActorCritic MakeActorCritic(const NetworkOptions& net, uint64_t seed);

}  // namespace fleet::learner
