// A Decision Transformer's forward pass on Eigen, for actors (no libtorch): the model
// learner/decision_transformer.h trains, read from a PolicyWeights.transformer message.
// PredictLast runs one context of up to K steps (return-to-go, state, action tokens) and
// returns the action predicted from the last state token, which is all an acting policy
// needs; tests/actor/dt_model_test.cc holds it equal to libtorch's forward. Not
// thread-safe (scratch buffers).
#pragma once

#include <span>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "common/status.h"
#include "proto/fleet.pb.h"

namespace fleet::actor {

class DtModel {
 public:
  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Vector = Eigen::VectorXf;

  // InvalidArgument naming a missing or misshaped tensor.
  static StatusOr<DtModel> FromProto(const proto::DecisionTransformer& t);

  int state_dim() const { return state_dim_; }
  int act_dim() const { return act_dim_; }
  bool discrete() const { return discrete_; }
  int context_len() const { return context_len_; }
  int max_episode_len() const { return max_episode_len_; }
  float rtg_scale() const { return rtg_scale_; }
  float target_return() const { return target_return_; }
  const std::vector<float>& state_mean() const { return state_mean_; }
  const std::vector<float>& state_std() const { return state_std_; }

  // L steps (1 <= L <= context_len), oldest first: normalized states (L x state_dim),
  // actions (L x act_dim: continuous values or one-hot), scaled returns-to-go (L),
  // timesteps (L). `out` (act_dim): the tanh'd action, or the logits.
  void PredictLast(std::span<const float> states, std::span<const float> actions,
                   std::span<const float> returns_to_go, std::span<const int64_t> timesteps,
                   int length, std::span<float> out);

 private:
  struct Linear {
    Matrix w;  // out x in
    Vector b;
  };
  struct LayerNorm {
    Vector g, b;
  };
  struct Block {
    LayerNorm ln1, ln2;
    Linear qkv, proj, fc, fc_proj;
  };
  void Norm(const LayerNorm& ln, const Matrix& x, Matrix& out) const;

  int state_dim_ = 0, act_dim_ = 0, n_head_ = 1, embed_dim_ = 0, context_len_ = 0;
  int max_episode_len_ = 0;
  bool discrete_ = false, gelu_ = false;
  float rtg_scale_ = 1, target_return_ = 0;
  std::vector<float> state_mean_, state_std_;
  Matrix embed_timestep_;
  Linear embed_return_, embed_state_, embed_action_, predict_action_;
  LayerNorm embed_ln_, ln_f_;
  std::vector<Block> blocks_;
  Matrix x_, y_, qkv_, att_, heads_, mlp_;  // scratch
};

}  // namespace fleet::actor
