#include "learner/decision_transformer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include <dlfcn.h>

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

// One dropout mask: element i kept when its 16-bit draw is below keep16; out = residual +
// x * mask * scale (scale: the inverse of the keep probability drawn), and the mask (0 / 1
// bytes) for the backward pass. Four elements per SplitMix64 output. The loops are written
// so that GCC vectorizes them (integer compare, float multiply; a branch or a float-valued
// select is left scalar).
struct DropoutDraw {
  int keep16;
  float scale;
  uint64_t state;
};

// The keep threshold of 16-bit draws: 1 - p rounded to a multiple of 2^-16 (0 when p is
// within 2^-17 of 1: then torch::dropout is used).
int KeepThreshold(double p) { return static_cast<int>(std::lround((1.0 - p) * 65536.0)); }

DropoutDraw NewDraw(double p) {
  const uint64_t seed = static_cast<uint64_t>(
      torch::randint(int64_t{1} << 62, {1}, torch::TensorOptions().dtype(torch::kInt64)).item<int64_t>());
  const int keep16 = KeepThreshold(p);
  // the inverse of the keep probability drawn, so that the expected output is x exactly
  return DropoutDraw{keep16, static_cast<float>(65536.0 / keep16), seed};
}

void DropoutForward(DropoutDraw& d, const float* __restrict x, const float* __restrict residual,
                    uint8_t* __restrict mask, float* __restrict out, int64_t n) {
  constexpr int kChunk = 256;
  alignas(64) uint16_t draw[kChunk];
  const int keep16 = d.keep16;
  const float scale = d.scale;
  for (int64_t base = 0; base < n; base += kChunk) {
    const int c = static_cast<int>(std::min<int64_t>(kChunk, n - base));
    for (int j = 0; j < kChunk; j += 4) {
      const uint64_t z = SplitMix64(d.state);
      std::memcpy(draw + j, &z, sizeof z);
    }
    const float* xb = x + base;
    uint8_t* mb = mask + base;
    float* ob = out + base;
    if (residual != nullptr) {
      const float* rb = residual + base;
      for (int j = 0; j < c; ++j) {
        const int k = static_cast<int>(draw[j]) < keep16;
        mb[j] = static_cast<uint8_t>(k);
        ob[j] = rb[j] + xb[j] * (static_cast<float>(k) * scale);
      }
    } else {
      for (int j = 0; j < c; ++j) {
        const int k = static_cast<int>(draw[j]) < keep16;
        mb[j] = static_cast<uint8_t>(k);
        ob[j] = xb[j] * (static_cast<float>(k) * scale);
      }
    }
  }
}

// out = g * mask * scale; out may be g itself (no __restrict: GCC versions the loop on a
// run-time overlap check and vectorizes both cases; the pass is memory-bound either way).
void DropoutBackward(const float* g, const uint8_t* mask, float scale, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = g[i] * (static_cast<float>(mask[i]) * scale);
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// A fresh mask drawn over x: out = residual (if defined) + x * mask * scale.
struct Dropped {
  torch::Tensor out;
  torch::Tensor mask;
  float scale;
};

Dropped DrawDropout(const torch::Tensor& residual, const torch::Tensor& x, double p) {
  const torch::Tensor xc = x.contiguous();
  const torch::Tensor rc = residual.defined() ? residual.contiguous() : residual;
  Dropped d{torch::empty_like(xc), torch::empty(xc.sizes(), torch::TensorOptions().dtype(torch::kUInt8)), 0.0f};
  DropoutDraw draw = NewDraw(p);
  DropoutForward(draw, xc.data_ptr<float>(), rc.defined() ? rc.data_ptr<float>() : nullptr,
                 d.mask.data_ptr<uint8_t>(), d.out.data_ptr<float>(), xc.numel());
  d.scale = draw.scale;
  return d;
}

torch::Tensor DropoutApply(AutogradContext* ctx, const torch::Tensor& residual, const torch::Tensor& x, double p) {
  Dropped d = DrawDropout(residual, x, p);
  ctx->save_for_backward({d.mask});
  ctx->saved_data["scale"] = static_cast<double>(d.scale);
  return d.out;
}

torch::Tensor DropoutGrad(AutogradContext* ctx, const torch::Tensor& grad) {
  const torch::Tensor g = grad.contiguous();
  const torch::Tensor mask = ctx->get_saved_variables()[0];
  torch::Tensor out = torch::empty_like(g);
  DropoutBackward(g.data_ptr<float>(), mask.data_ptr<uint8_t>(),
                  static_cast<float>(ctx->saved_data["scale"].toDouble()), out.data_ptr<float>(), g.numel());
  return out;
}

struct DropoutFunction : public torch::autograd::Function<DropoutFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, double p) {
    return DropoutApply(ctx, torch::Tensor(), x, p);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    return {DropoutGrad(ctx, grads[0]), torch::Tensor()};
  }
};

struct ResidualDropoutFunction : public torch::autograd::Function<ResidualDropoutFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& residual, const torch::Tensor& x,
                               double p) {
    return DropoutApply(ctx, residual, x, p);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    return {grads[0], DropoutGrad(ctx, grads[0]), torch::Tensor()};
  }
};

// The attention core of every block on CPU float32: the per-window matrix products go
// straight to the BLAS sgemm_ that libtorch itself calls (found at run time, as
// SetBlasThreads finds OpenBLAS), one call per window and head. libtorch 1.13's bmm splits
// its batch the same way but through a select and an addmm per window (~10 us each, 1152
// per training step at the official size) and a softmax input and output of its own; the
// gradients of Q, K and V land in one (B T) x 3h tensor, QKV's layout, with no concatenation.
using Sgemm = void (*)(const char* transa, const char* transb, const int* m, const int* n, const int* k,
                       const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
                       const float* beta, float* c, const int* ldc);

Sgemm FindSgemm() {
  static const Sgemm sgemm = reinterpret_cast<Sgemm>(::dlsym(RTLD_DEFAULT, "sgemm_"));
  return sgemm;
}

// Row-major C (m x n, ldc) = alpha op(A) op(B) + beta C, op(A) m x k: the column-major
// product C^T = op(B)^T op(A)^T, so the operands swap and the flags stay.
void RowGemm(Sgemm sgemm, bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda,
             const float* b, int ldb, float beta, float* c, int ldc) {
  const char* fa = ta ? "T" : "N";
  const char* fb = tb ? "T" : "N";
  sgemm(fb, fa, &n, &m, &k, &alpha, b, &ldb, a, &lda, &beta, c, &ldc);
}

struct AttentionFunction : public torch::autograd::Function<AttentionFunction> {
  // qkv: B x T x 3h contiguous (Q, K, V side by side, head i of each at columns i hd..);
  // bias: additive, broadcastable to B x nh x T x T. Returns B x T x h.
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& qkv_in, const torch::Tensor& bias,
                               int64_t nh, double scale, double p) {
    const Sgemm sgemm = FindSgemm();
    const torch::Tensor qkv = qkv_in.contiguous();
    const int64_t B = qkv.size(0), T = qkv.size(1), h = qkv.size(2) / 3, hd = h / nh;
    const int t = static_cast<int>(T), d = static_cast<int>(hd), ld = static_cast<int>(3 * h);
    torch::Tensor scores = torch::empty({B, nh, T, T}, qkv.options());
    const float* base = qkv.data_ptr<float>();
    float* sp = scores.data_ptr<float>();
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t i = 0; i < nh; ++i) {
        const float* q = base + b * T * 3 * h + i * hd;
        RowGemm(sgemm, false, true, t, t, d, static_cast<float>(scale), q, ld, q + h, ld, 0.0f,
                sp + (b * nh + i) * T * T, t);
      }
    }
    scores.add_(bias);
    const torch::Tensor probs = torch::softmax(scores, -1);
    torch::Tensor mixed = probs;  // what multiplies V: the probabilities after dropout
    torch::Tensor mask;
    double drop_scale = 1.0;
    if (p > 0.0) {
      Dropped d = DrawDropout(torch::Tensor(), probs, p);
      mixed = d.out;
      mask = d.mask;
      drop_scale = d.scale;
    }
    torch::Tensor y = torch::empty({B, T, h}, qkv.options());
    const float* mp = mixed.data_ptr<float>();
    float* yp = y.data_ptr<float>();
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t i = 0; i < nh; ++i) {
        const float* v = base + b * T * 3 * h + 2 * h + i * hd;
        RowGemm(sgemm, false, false, t, d, t, 1.0f, mp + (b * nh + i) * T * T, t, v, ld, 0.0f,
                yp + b * T * h + i * hd, static_cast<int>(h));
      }
    }
    ctx->save_for_backward({qkv, probs, mixed, mask.defined() ? mask : torch::Tensor()});
    ctx->saved_data["nh"] = nh;
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["drop_scale"] = drop_scale;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const Sgemm sgemm = FindSgemm();
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &qkv = saved[0], &probs = saved[1], &mixed = saved[2], &mask = saved[3];
    const int64_t nh = ctx->saved_data["nh"].toInt();
    const float scale = static_cast<float>(ctx->saved_data["scale"].toDouble());
    const torch::Tensor dy = grads[0].contiguous();
    const int64_t B = qkv.size(0), T = qkv.size(1), h = qkv.size(2) / 3, hd = h / nh;
    const int t = static_cast<int>(T), d = static_cast<int>(hd), ld = static_cast<int>(3 * h),
              ldy = static_cast<int>(h);
    const float* base = qkv.data_ptr<float>();
    const float* dyp = dy.data_ptr<float>();
    const float* mp = mixed.data_ptr<float>();
    torch::Tensor dqkv = torch::empty_like(qkv);
    float* dp = dqkv.data_ptr<float>();
    torch::Tensor dmixed = torch::empty_like(probs);
    float* dmp = dmixed.data_ptr<float>();
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t i = 0; i < nh; ++i) {
        const int64_t row = b * T * 3 * h + i * hd, w = (b * nh + i) * T * T;
        const float* dyb = dyp + b * T * h + i * hd;
        // dMixed = dY V^T, dV = Mixed^T dY
        RowGemm(sgemm, false, true, t, t, d, 1.0f, dyb, ldy, base + row + 2 * h, ld, 0.0f, dmp + w, t);
        RowGemm(sgemm, true, false, t, d, t, 1.0f, mp + w, t, dyb, ldy, 0.0f, dp + row + 2 * h, ld);
      }
    }
    if (mask.defined()) {
      DropoutBackward(dmp, mask.data_ptr<uint8_t>(), static_cast<float>(ctx->saved_data["drop_scale"].toDouble()),
                      dmp, dmixed.numel());
    }
    const torch::Tensor dscores = torch::_softmax_backward_data(dmixed, probs, -1, torch::kFloat32);
    const float* dsp = dscores.data_ptr<float>();
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t i = 0; i < nh; ++i) {
        const int64_t row = b * T * 3 * h + i * hd, w = (b * nh + i) * T * T;
        // scores = scale Q K^T: dQ = scale dS K, dK = scale dS^T Q
        RowGemm(sgemm, false, false, t, d, t, scale, dsp + w, t, base + row + h, ld, 0.0f, dp + row, ld);
        RowGemm(sgemm, true, false, t, d, t, scale, dsp + w, t, base + row, ld, 0.0f, dp + row + h, ld);
      }
    }
    return {dqkv, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

bool OwnDropout(const torch::Tensor& x, double p) {
  return KeepThreshold(p) > 0 && x.device().is_cpu() && x.scalar_type() == torch::kFloat32;
}

// y = x W^T + b over the last dimension, as one addmm (the bias added inside the product)
// on the tokens flattened to rows: torch::nn::Linear on a 3-d input is a matmul and a
// separate bias pass, forward and backward.
torch::Tensor Affine(const torch::nn::Linear& l, const torch::Tensor& rows) {
  return torch::addmm(l->bias, rows, l->weight.t());
}

}  // namespace

bool OwnAttentionAvailable() { return FindSgemm() != nullptr; }

torch::Tensor Dropout(const torch::Tensor& x, double p, bool training) {
  if (!training || p <= 0.0) return x;
  if (!OwnDropout(x, p)) return torch::dropout(x, p, true);
  return DropoutFunction::apply(x, p);
}

torch::Tensor ResidualDropout(const torch::Tensor& residual, const torch::Tensor& x, double p, bool training) {
  if (!training || p <= 0.0) return residual + x;
  if (!OwnDropout(x, p) || residual.sizes() != x.sizes() || residual.scalar_type() != torch::kFloat32) {
    return residual + Dropout(x, p, training);
  }
  return ResidualDropoutFunction::apply(residual, x, p);
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
  // (R_1, s_1, a_1, R_2, ...): B x K x 3 x h -> B x 3K x h, held as (B 3K) x h rows
  torch::Tensor x = torch::stack({r, st, a}, 2).reshape({B * T, h});
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
  // B x T x h (a column slice of the QKV rows) -> B x nh x T x hd, a view
  auto heads = [&](const torch::Tensor& t) { return t.view({B, T, nh, hd}).transpose(1, 2); };
  // libtorch's matmul and softmax off the CPU, for other dtypes, where no BLAS sgemm_ is
  // found, and after set_own_attention(false) (tests compare the two).
  const bool own_attention = own_attention_ && x.device().is_cpu() && x.scalar_type() == torch::kFloat32 &&
                             OwnAttentionAvailable() && (!train || p <= 0.0 || KeepThreshold(p) > 0);
  for (const auto& module : *blocks_) {
    auto* b = module->as<DtBlockImpl>();
    const torch::Tensor qkv = Affine(b->attn_qkv, b->ln1->forward(x)).view({B, T, 3 * h});
    torch::Tensor y;
    if (own_attention) {
      y = AttentionFunction::apply(qkv, bias, nh, scale, train ? p : 0.0).view({B * T, h});
    } else {
      // split, not select: the gradient of three column slices is one concatenation,
      // where a select's is a zero-filled copy of the whole QKV output per slice.
      const auto parts = qkv.split(h, -1);
      torch::Tensor att = torch::matmul(heads(parts[0]), heads(parts[1]).transpose(-2, -1)) * scale + bias;
      att = Dropout(torch::softmax(att, -1), p, train);
      y = torch::matmul(att, heads(parts[2])).transpose(1, 2).reshape({B * T, h});
    }
    x = ResidualDropout(x, Affine(b->attn_proj, y), p, train);
    torch::Tensor m = Affine(b->mlp_fc, b->ln2->forward(x));
    // in place: the product's output is needed by no gradient but ReLU's own
    m = config_.activation == "gelu" ? torch::gelu(m, "tanh") : m.relu_();
    x = ResidualDropout(x, Affine(b->mlp_proj, m), p, train);
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
