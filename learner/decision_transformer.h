// The Decision Transformer (Chen et al. 2021) in libtorch, shaped as the official gym code
// (kzl/decision-transformer, gym/decision_transformer/models/decision_transformer.py and
// its GPT-2 without position embeddings): per step three tokens (return-to-go, state,
// action), each a linear embedding plus a learned timestep embedding, LayerNorm over the
// 3K-token sequence, dropout, n_layer pre-LayerNorm GPT-2 blocks (causal multi-head
// self-attention, an MLP of 4 x embed_dim), a final LayerNorm; the action is predicted
// from each state token (tanh for continuous actions, logits for discrete ones).
// Initialization as there: the blocks as GPT-2 (normal 0.02, output projections
// 0.02 / sqrt(2 n_layer), zero biases), the embeddings and heads as torch's defaults.
//
// Parameter names (what PolicyWeights.transformer carries, actor/dt_policy.h reads):
//   embed_timestep (max_episode_len x h), embed_return.{weight (h x 1), bias},
//   embed_state.{weight (h x D), bias}, embed_action.{weight (h x A), bias},
//   embed_ln.{weight, bias}, blocks.I.{ln1, attn_qkv (3h x h), attn_proj (h x h), ln2,
//   mlp_fc (4h x h), mlp_proj (h x 4h)}.{weight, bias}, ln_f.{weight, bias},
//   predict_action.{weight (A x h), bias}.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "learner/dt_config.h"
#include "learner/pch.h"

namespace fleet::learner {

struct DtShape {
  int state_dim = 0;
  int act_dim = 0;  // discrete: the number of actions
  bool discrete = false;
};

// One GPT-2 block: pre-LayerNorm causal self-attention, then a pre-LayerNorm MLP.
class DtBlockImpl : public torch::nn::Module {
 public:
  DtBlockImpl(int embed_dim, int n_layer);
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
  torch::nn::Linear attn_qkv{nullptr}, attn_proj{nullptr}, mlp_fc{nullptr}, mlp_proj{nullptr};
};
TORCH_MODULE(DtBlock);

// Inverted dropout (each element kept with probability 1 - p and scaled by the inverse of
// that probability; x unchanged when not training or p is 0). On CPU float32 tensors its
// own autograd function: one pass draws the mask (16-bit uniform draws, four per
// SplitMix64 output: the keep probability is 1 - p rounded to a multiple of 2^-16, and the
// scale is its exact inverse, so the expected output is x) and applies it, keeping a byte
// per element for the backward pass; torch::dropout elsewhere, and for p within 2^-17 of 1.
// libtorch 1.13 built without MKL (Debian's) draws its Bernoulli mask one mt19937 number
// per element, ~12 ns each here (docs/RESULTS.md). The seed of each mask comes from
// torch's default generator, so a run stays fixed by its seed.
torch::Tensor Dropout(const torch::Tensor& x, double p, bool training);
// residual + Dropout(x, p, training) in one pass (the transformer's residual branches).
torch::Tensor ResidualDropout(const torch::Tensor& residual, const torch::Tensor& x, double p, bool training);
// Whether the attention core can run as Fleet's own function here: the BLAS sgemm_ that
// libtorch links was found.
bool OwnAttentionAvailable();

class DecisionTransformerImpl : public torch::nn::Module {
 public:
  DecisionTransformerImpl(const DtConfig& config, const DtShape& shape);

  // states (B x K x D, normalized), actions (B x K x A: continuous values, or one-hot),
  // returns_to_go (B x K, scaled), timesteps (B x K, int64), mask (B x K, 1 = present)
  // -> (B x K x A): tanh'd actions, or logits.
  torch::Tensor forward(const torch::Tensor& states, const torch::Tensor& actions,
                        const torch::Tensor& returns_to_go, const torch::Tensor& timesteps,
                        const torch::Tensor& mask);

  // Every parameter by the names above, in a fixed order.
  std::vector<std::pair<std::string, torch::Tensor>> NamedTensors() const;
  const DtShape& shape() const { return shape_; }
  const DtConfig& config() const { return config_; }
  // On (the default): on CPU float32 the attention core of each block is Fleet's own
  // autograd function (per-window BLAS products; decision_transformer.cc). Off, and on
  // other devices or dtypes or where OwnAttentionAvailable() is false: libtorch's matmul
  // and softmax, with Dropout() on the probabilities. Both compute the same function.
  void set_own_attention(bool on) { own_attention_ = on; }

 private:
  DtConfig config_;
  DtShape shape_;
  torch::nn::Embedding embed_timestep_{nullptr};
  torch::nn::Linear embed_return_{nullptr}, embed_state_{nullptr}, embed_action_{nullptr};
  torch::nn::LayerNorm embed_ln_{nullptr}, ln_f_{nullptr};
  torch::nn::ModuleList blocks_{nullptr};
  torch::nn::Linear predict_action_{nullptr};
  // registered for the module tree checkpoints were written with; forward uses Dropout()
  torch::nn::Dropout dropout_{nullptr};
  bool own_attention_ = true;
};
TORCH_MODULE(DecisionTransformer);

}  // namespace fleet::learner
