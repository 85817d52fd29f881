// `learner.reinforce` and `learner.grpo`: the episode-based policy gradients
// (learner/policy_gradient.h). Plain C++: the registry validates them without libtorch.
#pragma once

#include <string>

#include "common/experiment_config.h"
#include "common/status.h"

namespace fleet::learner {

// REINFORCE (Williams 1992) with Monte-Carlo returns. Defaults follow PyTorch's
// examples/reinforcement_learning/reinforce.py where it has them (gamma 0.99, Adam lr
// 1e-2, returns standardized over the update); the learned baseline is optional (Sutton &
// Barto 2018, section 13.4), trained by MSE on the same returns.
struct ReinforceConfig {
  double learning_rate = 1e-2;
  bool anneal_lr = false;
  double gamma = 0.99;
  // advantage = G_t - V(s_t) with a critic trained on G_t; else G_t.
  bool baseline = false;
  double vf_coef = 0.5;
  // standardize the advantages over the update's steps (mean 0, std 1).
  bool normalize_advantages = true;
  double ent_coef = 0.0;
  // global gradient-norm clip; 0: none.
  double max_grad_norm = 0.0;

  template <class V>
  void Visit(V& v) {
    v("learning_rate", learning_rate);
    v("anneal_lr", anneal_lr);
    v("gamma", gamma);
    v("baseline", baseline);
    v("vf_coef", vf_coef);
    v("normalize_advantages", normalize_advantages);
    v("ent_coef", ent_coef);
    v("max_grad_norm", max_grad_norm);
  }
  Status Validate(const ExperimentConfig& config) const;
};

// A group-relative policy gradient for control: GRPO's advantage (Shao et al. 2024,
// DeepSeekMath) without a critic. The actors play groups of env.group_size episodes from
// one seed; every step of episode i gets (R_i - mean R) / (std R + adv_eps) of its group,
// and the update is PPO's clipped surrogate over a few epochs of minibatches, with an
// optional k3 KL penalty to a reference policy (the initial one, or refreshed every
// ref_update_every updates). adv_eps 1e-4 as TRL's GRPOTrainer; kl_coef 0.04 is
// DeepSeekMath's beta (off by default here, as in TRL since 0.19); the rest as PPO's.
struct GrpoConfig {
  double learning_rate = 2.5e-4;
  bool anneal_lr = true;
  int update_epochs = 4;
  int num_minibatches = 4;
  double clip_coef = 0.2;
  double ent_coef = 0.0;
  double kl_coef = 0.0;
  int ref_update_every = 0;  // updates; 0: the reference stays the initial policy
  double adv_eps = 1e-4;
  double max_grad_norm = 0.5;
  // a group still incomplete after this many updates is dropped (its episodes wasted).
  int max_group_wait = 8;
  // "outcome": every step of an episode gets its return standardized within the group
  // (GRPO's outcome supervision); "process": step rewards standardized over the group,
  // summed from each step to its episode's end (DeepSeekMath's process supervision).
  std::string supervision = "outcome";

  template <class V>
  void Visit(V& v) {
    v("learning_rate", learning_rate);
    v("anneal_lr", anneal_lr);
    v("update_epochs", update_epochs);
    v("num_minibatches", num_minibatches);
    v("clip_coef", clip_coef);
    v("ent_coef", ent_coef);
    v("kl_coef", kl_coef);
    v("ref_update_every", ref_update_every);
    v("adv_eps", adv_eps);
    v("max_grad_norm", max_grad_norm);
    v("max_group_wait", max_group_wait);
    v("supervision", supervision);
  }
  Status Validate(const ExperimentConfig& config) const;
};

}  // namespace fleet::learner
