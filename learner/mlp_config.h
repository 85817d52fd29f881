// `learner.network`: the MLP of the algorithms whose policies are multilayer perceptrons
// (PPO's actor and critic). Plain C++, read by the algorithm registry without libtorch.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace fleet::learner {

struct MlpConfig {
  std::vector<int> hidden = {64, 64};
  std::string activation = "tanh";  // or "relu"
  // "orthogonal" (CleanRL: gains sqrt(2), 0.01 for the policy head, 1 for the value head,
  // zero biases) or "torch_default" (torch.nn.Linear's own: kaiming-uniform weights,
  // uniform(+-1/sqrt(fan_in)) biases; SB3's ortho_init=False).
  std::string init = "orthogonal";
  // continuous actions: initial state-independent log standard deviation (SB3's
  // log_std_init).
  double log_std_init = 0.0;

  template <class V>
  void Visit(V& v) {
    v("hidden", hidden);
    v("activation", activation);
    v("init", init);
    v("log_std_init", log_std_init);
  }
  // Names the offending key under `path` (e.g. "learner.network").
  Status Validate(const std::string& path) const;
};

}  // namespace fleet::learner
