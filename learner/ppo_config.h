// `learner.ppo`: PPO's hyperparameters. Defaults follow CleanRL's ppo.py
// (vwxyzjn/cleanrl, cleanrl/ppo.py). Plain C++: the registry validates it without
// libtorch; learner/ppo.h trains with it.
#pragma once

#include <string>

#include "common/experiment_config.h"
#include "common/status.h"

namespace fleet::learner {

struct PpoConfig {
  double learning_rate = 2.5e-4;
  bool anneal_lr = true;
  double gamma = 0.99;
  double gae_lambda = 0.95;
  int num_minibatches = 4;
  int update_epochs = 4;
  bool norm_adv = true;
  double clip_coef = 0.2;
  bool clip_vloss = true;
  double ent_coef = 0.01;
  double vf_coef = 0.5;
  double max_grad_norm = 0.5;
  // stop the epochs of one update early once the last minibatch's approx KL exceeds this
  // (checked at the end of each epoch, as CleanRL does); 0: never.
  double target_kl = 0.0;
  // bootstrap truncated episodes with V(final observation) (CleanRL treats them as ends).
  bool bootstrap_truncated = true;
  // CleanRL ppo_continuous_action.py's NormalizeObservation / NormalizeReward (clip 10):
  // running statistics in the learner, shipped to the actors with the weights.
  bool norm_obs = false;
  bool norm_reward = false;
  double clip_obs = 10.0;
  double clip_reward = 10.0;

  template <class V>
  void Visit(V& v) {
    v("learning_rate", learning_rate);
    v("anneal_lr", anneal_lr);
    v("gamma", gamma);
    v("gae_lambda", gae_lambda);
    v("num_minibatches", num_minibatches);
    v("update_epochs", update_epochs);
    v("norm_adv", norm_adv);
    v("clip_coef", clip_coef);
    v("clip_vloss", clip_vloss);
    v("ent_coef", ent_coef);
    v("vf_coef", vf_coef);
    v("max_grad_norm", max_grad_norm);
    v("target_kl", target_kl);
    v("bootstrap_truncated", bootstrap_truncated);
    v("norm_obs", norm_obs);
    v("norm_reward", norm_reward);
    v("clip_obs", clip_obs);
    v("clip_reward", clip_reward);
  }

  // Ranges, and the minibatch count against the batch the config makes (chunks per update
  // x steps per chunk x envs). Names the key.
  Status Validate(const ExperimentConfig& config) const;
};

}  // namespace fleet::learner
