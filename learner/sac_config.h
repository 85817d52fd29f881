// `learner.sac`: Soft Actor-Critic for continuous actions (Haarnoja et al. 2018, with the
// automatic entropy tuning of "Soft Actor-Critic Algorithms and Applications"). Defaults
// are CleanRL's sac_continuous_action.py (v1.2): 256-256 ReLU networks, batch 256, Adam q
// lr 1e-3 and policy lr 3e-4, the policy (and temperature) updated every 2 steps, that
// many times, target networks Polyak-averaged with tau 0.005 every step, gamma 0.99, 5k
// uniform-random warm-up steps, temperature tuned toward an entropy of -|A|. Plain C++:
// the registry validates it without libtorch.
#pragma once

#include <vector>

#include "common/experiment_config.h"
#include "common/status.h"

namespace fleet::learner {

struct SacConfig {
  std::vector<int> hidden = {256, 256};
  int batch_size = 256;
  double q_lr = 1e-3;
  double policy_lr = 3e-4;
  double gamma = 0.99;
  double tau = 0.005;
  // the policy and the temperature take policy_frequency steps every policy_frequency
  // critic steps (TD3's delayed update, as CleanRL makes it).
  int policy_frequency = 2;
  int target_network_frequency = 1;
  // env steps of uniform random actions before the policy acts and learning starts.
  int learning_starts = 5000;
  // tune the temperature alpha toward target_entropy (default -action_dim); else fixed.
  bool autotune = true;
  double alpha = 0.2;
  // 0: -(action dimension), SAC's heuristic.
  double target_entropy = 0.0;
  // Fleet's, not CleanRL's (whose one process acts with the newest policy every step):
  // new weights go to the actors every this many updates (gradient steps).
  int publish_every = 10;
  // a metrics.csv row (and TensorBoard scalars) every this many updates.
  int log_every = 1000;

  template <class V>
  void Visit(V& v) {
    v("hidden", hidden);
    v("batch_size", batch_size);
    v("q_lr", q_lr);
    v("policy_lr", policy_lr);
    v("gamma", gamma);
    v("tau", tau);
    v("policy_frequency", policy_frequency);
    v("target_network_frequency", target_network_frequency);
    v("learning_starts", learning_starts);
    v("autotune", autotune);
    v("alpha", alpha);
    v("target_entropy", target_entropy);
    v("publish_every", publish_every);
    v("log_every", log_every);
  }
  // Names the offending key under learner.sac.
  Status Validate() const;
};

}  // namespace fleet::learner
