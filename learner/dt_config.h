// `learner.dt`: the Decision Transformer (Chen et al. 2021) trained offline from a
// recorded dataset. Defaults are the official gym code's (kzl/decision-transformer,
// gym/experiment.py): 3 layers, 1 head, embedding 128, context K = 20, dropout 0.1, ReLU
// MLPs of 4 x 128, AdamW lr 1e-4 with weight decay 1e-4, 10k linear warm-up steps,
// batch 64, gradient-norm clip 0.25, returns-to-go divided by 1000, max episode length
// 1000 (the timestep embedding's size), tanh action head for continuous actions. Plain
// C++: the registry validates it without libtorch.
#pragma once

#include <cstdint>
#include <string>

#include "common/experiment_config.h"
#include "common/status.h"

namespace fleet::learner {

struct DtConfig {
  int context_len = 20;
  int max_episode_len = 1000;
  double rtg_scale = 1000.0;
  int n_layer = 3;
  int n_head = 1;
  int embed_dim = 128;
  double dropout = 0.1;
  std::string activation = "relu";  // or "gelu" (GPT-2's tanh approximation)
  double learning_rate = 1e-4;
  double weight_decay = 1e-4;
  int warmup_steps = 10000;
  int batch_size = 64;
  double grad_clip = 0.25;
  // gradient steps of the whole run.
  int64_t train_steps = 100000;
  // a metrics.csv row every this many steps.
  int log_every = 100;
  // evaluation: the return to condition on (env units); 0: the dataset's best episode.
  double target_return = 0.0;

  template <class V>
  void Visit(V& v) {
    v("context_len", context_len);
    v("max_episode_len", max_episode_len);
    v("rtg_scale", rtg_scale);
    v("n_layer", n_layer);
    v("n_head", n_head);
    v("embed_dim", embed_dim);
    v("dropout", dropout);
    v("activation", activation);
    v("learning_rate", learning_rate);
    v("weight_decay", weight_decay);
    v("warmup_steps", warmup_steps);
    v("batch_size", batch_size);
    v("grad_clip", grad_clip);
    v("train_steps", train_steps);
    v("log_every", log_every);
    v("target_return", target_return);
  }

  // Ranges; names the key.
  Status Validate(const ExperimentConfig& config) const;
};

}  // namespace fleet::learner
