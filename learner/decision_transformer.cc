#include "learner/decision_transformer.h"

#include <cmath>
#include <cstdint>

namespace fleet::learner {
namespace {

torch::nn::LayerNorm LayerNorm(int h) {
  // GPT-2's epsilon (layer_norm_epsilon 1e-5), torch's default too.
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({h}).eps(1e-5));
}

// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
// OOPSLA 2014): one 64-bit output per call.
inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

torch::Tensor DropoutMask(torch::IntArrayRef sizes, double p) {
  const uint64_t seed = static_cast<uint64_t>(
      torch::randint(int64_t{1} << 62, {1}, torch::TensorOptions().dtype(torch::kInt64)).item<int64_t>());
  torch::Tensor mask = torch::empty(sizes, torch::TensorOptions().dtype(torch::kFloat32));
  float* m = mask.data_ptr<float>();
  const int64_t n = mask.numel();
  // keep when a uniform 32-bit draw is below (1 - p) 2^32: P(keep) = 1 - p to 2^-32
  const uint64_t keep_below = static_cast<uint64_t>(std::ldexp(1.0 - p, 32));
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  uint64_t state = seed;
  int64_t i = 0;
  for (; i + 1 < n; i += 2) {
    const uint64_t z = SplitMix64(state);
    m[i] = (z & 0xffffffffULL) < keep_below ? scale : 0.0f;
    m[i + 1] = (z >> 32) < keep_below ? scale : 0.0f;
  }
  if (i < n) m[i] = (SplitMix64(state) & 0xffffffffULL) < keep_below ? scale : 0.0f;
  return mask;
}

torch::Tensor Dropout(const torch::Tensor& x, double p, bool training) {
  if (!training || p <= 0.0) return x;
  if (p >= 1.0 || !x.device().is_cpu() || x.scalar_type() != torch::kFloat32) {
    return torch::dropout(x, p, true);
  }
  return x * DropoutMask(x.sizes(), p);
}

DtBlockImpl::DtBlockImpl(int h, int n_layer) {
  ln1 = register_module("ln1", LayerNorm(h));
  attn_qkv = register_module("attn_qkv", torch::nn::Linear(h, 3 * h));
  attn_proj = register_module("attn_proj", torch::nn::Linear(h, h));
  ln2 = register_module("ln2", LayerNorm(h));
  mlp_fc = register_module("mlp_fc", torch::nn::Linear(h, 4 * h));
  mlp_proj = register_module("mlp_proj", torch::nn::Linear(4 * h, h));
  torch::NoGradGuard no_grad;
  const double proj_std = 0.02 / std::sqrt(2.0 * n_layer);
  for (auto* l : {&attn_qkv, &mlp_fc}) {
    (*l)->weight.normal_(0.0, 0.02);
    (*l)->bias.zero_();
  }
  for (auto* l : {&attn_proj, &mlp_proj}) {
    (*l)->weight.normal_(0.0, proj_std);
    (*l)->bias.zero_();
  }
}

DecisionTransformerImpl::DecisionTransformerImpl(const DtConfig& c, const DtShape& s)
    : config_(c), shape_(s) {
  const int h = c.embed_dim;
  embed_timestep_ = register_module("embed_timestep", torch::nn::Embedding(c.max_episode_len, h));
  embed_return_ = register_module("embed_return", torch::nn::Linear(1, h));
  embed_state_ = register_module("embed_state", torch::nn::Linear(s.state_dim, h));
  embed_action_ = register_module("embed_action", torch::nn::Linear(s.act_dim, h));
  embed_ln_ = register_module("embed_ln", LayerNorm(h));
  dropout_ = register_module("dropout", torch::nn::Dropout(c.dropout));
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  for (int i = 0; i < c.n_layer; ++i) blocks_->push_back(DtBlock(h, c.n_layer));
  ln_f_ = register_module("ln_f", LayerNorm(h));
  predict_action_ = register_module("predict_action", torch::nn::Linear(h, s.act_dim));
}

torch::Tensor DecisionTransformerImpl::forward(const torch::Tensor& states,
                                               const torch::Tensor& actions,
                                               const torch::Tensor& returns_to_go,
                                               const torch::Tensor& timesteps,
                                               const torch::Tensor& mask) {
  const int64_t B = states.size(0), K = states.size(1), h = config_.embed_dim;
  const int64_t nh = config_.n_head, hd = h / nh, T = 3 * K;
  const torch::Tensor time = embed_timestep_->forward(timesteps);  // B x K x h
  const torch::Tensor r = embed_return_->forward(returns_to_go.unsqueeze(-1)) + time;
  const torch::Tensor st = embed_state_->forward(states) + time;
  const torch::Tensor a = embed_action_->forward(actions) + time;
  // (R_1, s_1, a_1, R_2, ...): B x K x 3 x h -> B x 3K x h
  torch::Tensor x = torch::stack({r, st, a}, 2).reshape({B, T, h});
  const double p = config_.dropout;
  const bool train = is_training();
  x = Dropout(embed_ln_->forward(x), p, train);
  // additive attention bias: causal, and padded keys masked out (as GPT-2 with an
  // attention_mask; finite, so a fully masked row stays finite).
  const torch::Tensor keys_present = mask.to(torch::kFloat32).repeat_interleave(3, 1);  // B x 3K
  const torch::Tensor causal =
      torch::ones({T, T}, x.options()).tril().view({1, 1, T, T});
  const torch::Tensor bias = (1.0 - causal) * -1e9 + (1.0 - keys_present.view({B, 1, 1, T})) * -1e9;
  const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
  for (const auto& module : *blocks_) {
    auto* b = module->as<DtBlockImpl>();
    torch::Tensor qkv =
        b->attn_qkv->forward(b->ln1->forward(x)).view({B, T, 3, nh, hd}).permute({2, 0, 3, 1, 4});
    torch::Tensor att = torch::matmul(qkv[0], qkv[1].transpose(-2, -1)) * scale + bias;
    att = Dropout(torch::softmax(att, -1), p, train);
    torch::Tensor y = torch::matmul(att, qkv[2]).permute({0, 2, 1, 3}).reshape({B, T, h});
    x = x + Dropout(b->attn_proj->forward(y), p, train);
    torch::Tensor m = b->mlp_fc->forward(b->ln2->forward(x));
    m = config_.activation == "gelu" ? torch::gelu(m, "tanh") : torch::relu(m);
    x = x + Dropout(b->mlp_proj->forward(m), p, train);
  }
  x = ln_f_->forward(x).view({B, K, 3, h});
  torch::Tensor pred = predict_action_->forward(x.select(2, 1));  // from the state tokens
  return shape_.discrete ? pred : torch::tanh(pred);
}

std::vector<std::pair<std::string, torch::Tensor>> DecisionTransformerImpl::NamedTensors() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : named_parameters()) out.emplace_back(item.key(), item.value());
  return out;
}

}  // namespace fleet::learner
