// The Decision Transformer forward pass on Eigen (see dt_forward.h). Included once by
// dt_forward_baseline.cc and once by dt_forward_avx2.cc, each defining FLEET_DT_NS (and
// the AVX2 one renaming Eigen's namespace); nothing else includes it.
//
// What it computes, per context of L steps (the learner's model, learner/decision_transformer.h):
// tokens (return-to-go, state, action) per step with a timestep embedding, LayerNorm, pre-LN
// blocks of causal self-attention and MLP, then the final LayerNorm and the action head on
// the last state token. Two things an acting policy does not need are left out: the last
// step's action token (causal attention keeps it from every earlier token, and it has no
// action yet), and in the last block every token but the last state token (only its keys
// and values are read there). With 3 blocks that is 29% fewer FLOPs at L = 20 (54.2
// instead of 76.3 MFLOP at the official size). All
// contexts of a batch go through the token-wise matrix products together (one GEMM per
// weight for every env of an actor), attention per context.
#ifndef FLEET_DT_NS
#error "define FLEET_DT_NS before including actor/dt_forward_impl.h"
#endif

#include <cmath>

#include <Eigen/Dense>

#include "actor/dt_forward.h"

namespace fleet::actor::FLEET_DT_NS {
namespace {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::Matrix<float, Eigen::Dynamic, 1>;
using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;
using IndexVector = Eigen::Matrix<int, Eigen::Dynamic, 1>;

struct Linear {
  Matrix w;     // out x in
  RowVector b;  // out
};
struct Norm {
  RowVector g, b;
};
struct Block {
  Norm ln1, ln2;
  Linear qkv, proj, fc, fc_proj;
  void swap(Block& o) {
    ln1.g.swap(o.ln1.g);
    ln1.b.swap(o.ln1.b);
    ln2.g.swap(o.ln2.g);
    ln2.b.swap(o.ln2.b);
    Linear* mine[4] = {&qkv, &proj, &fc, &fc_proj};
    Linear* theirs[4] = {&o.qkv, &o.proj, &o.fc, &o.fc_proj};
    for (int i = 0; i < 4; ++i) {
      mine[i]->w.swap(theirs[i]->w);
      mine[i]->b.swap(theirs[i]->b);
    }
  }
};

Matrix Copy(const float* p, int rows, int cols) {
  return Eigen::Map<const Matrix>(p, rows, cols);
}
RowVector CopyRow(const float* p, int n) { return Eigen::Map<const RowVector>(p, n); }
Linear CopyLinear(const DtLinearView& v) { return {Copy(v.w, v.out, v.in), CopyRow(v.b, v.out)}; }
Norm CopyNorm(const DtNormView& v, int h) { return {CopyRow(v.g, h), CopyRow(v.b, h)}; }

// LayerNorm of each row of x into out (eps 1e-5, as nn.LayerNorm).
void LayerNorm(const Norm& ln, const Matrix& x, Matrix& out) {
  out.resize(x.rows(), x.cols());
  const float inv_n = 1.0f / static_cast<float>(x.cols());
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const float mean = x.row(r).sum() * inv_n;
    const float var = (x.row(r).array() - mean).square().sum() * inv_n;
    const float inv = 1.0f / std::sqrt(var + 1e-5f);
    out.row(r) = ((x.row(r).array() - mean) * inv * ln.g.array() + ln.b.array()).matrix();
  }
}

void Activate(bool gelu, Matrix& m) {
  if (gelu) {  // the tanh approximation, as the learner's model
    constexpr float kC = 0.7978845608028654f;  // sqrt(2 / pi)
    m = (0.5f * m.array() * (1.0f + (kC * (m.array() + 0.044715f * m.array().cube())).tanh()))
            .matrix();
  } else {
    m = m.cwiseMax(0.0f);
  }
}

class Forward final : public DtForward {
 public:
  explicit Forward(const DtWeightsView& w)
      : D_(w.state_dim), A_(w.act_dim), h_(w.embed_dim), nh_(w.n_head),
        max_t_(w.max_episode_len), gelu_(w.gelu),
        embed_timestep_(Copy(w.embed_timestep, w.max_episode_len, w.embed_dim)),
        embed_return_(CopyLinear(w.embed_return)), embed_state_(CopyLinear(w.embed_state)),
        embed_action_(CopyLinear(w.embed_action)), predict_action_(CopyLinear(w.predict_action)),
        embed_ln_(CopyNorm(w.embed_ln, w.embed_dim)), ln_f_(CopyNorm(w.ln_f, w.embed_dim)) {
    for (int l = 0; l < w.n_layer; ++l) {
      const DtBlockView& b = w.blocks[l];
      blocks_.push_back({CopyNorm(b.ln1, h_), CopyNorm(b.ln2, h_), CopyLinear(b.qkv),
                         CopyLinear(b.proj), CopyLinear(b.fc), CopyLinear(b.fc_proj)});
    }
  }

  void PredictLast(const DtBatchView& batch, float* out) override {
    const int n = batch.n, h = h_, hd = h_ / nh_;
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    // rows of each context: 3 L - 1 tokens (no last action token)
    offsets_.resize(n + 1);
    offsets_[0] = 0;
    for (int i = 0; i < n; ++i) offsets_[i + 1] = offsets_[i] + 3 * batch.lengths[i] - 1;
    const int R = offsets_[n];
    x_.resize(R, h);
    int step = 0;  // index of a context's first step in the packed inputs
    for (int i = 0; i < n; ++i) {
      const int L = batch.lengths[i];
      for (int k = 0; k < L; ++k, ++step) {
        int64_t t = batch.timesteps[step];
        t = t < 0 ? 0 : (t > max_t_ - 1 ? max_t_ - 1 : t);
        const auto time = embed_timestep_.row(t);
        const int row = offsets_[i] + 3 * k;
        x_.row(row) = embed_return_.w.col(0).transpose() * batch.returns_to_go[step] +
                      embed_return_.b + time;
        const Eigen::Map<const Vector> s(batch.states + static_cast<size_t>(step) * D_, D_);
        x_.row(row + 1) = (embed_state_.w * s).transpose() + embed_state_.b + time;
        if (k + 1 < L) {
          const Eigen::Map<const Vector> a(batch.actions + static_cast<size_t>(step) * A_, A_);
          x_.row(row + 2) = (embed_action_.w * a).transpose() + embed_action_.b + time;
        }
      }
    }
    LayerNorm(embed_ln_, x_, y_);
    x_.swap(y_);

    const int layers = static_cast<int>(blocks_.size());
    for (int l = 0; l + 1 < layers; ++l) {  // every block but the last: all tokens
      const Block& b = blocks_[l];
      LayerNorm(b.ln1, x_, y_);
      qkv_.noalias() = y_ * b.qkv.w.transpose();
      qkv_.rowwise() += b.qkv.b;
      heads_.resize(R, h);
      for (int i = 0; i < n; ++i) {
        const int o = offsets_[i], T = offsets_[i + 1] - o;
        for (int head = 0; head < nh_; ++head) {
          const auto q = qkv_.block(o, head * hd, T, hd);
          const auto key = qkv_.block(o, h + head * hd, T, hd);
          const auto v = qkv_.block(o, 2 * h + head * hd, T, hd);
          att_.noalias() = q * key.transpose();
          att_ *= scale;
          for (int r = 0; r < T; ++r) {  // causal softmax: token r attends to 0..r
            auto row = att_.row(r).head(r + 1);
            row = (row.array() - row.maxCoeff()).exp().matrix();
            row /= row.sum();
            att_.row(r).tail(T - r - 1).setZero();
          }
          heads_.block(o, head * hd, T, hd).noalias() = att_ * v;
        }
      }
      ProjectAndMlp(b, x_);
    }
    // the last state token of each context
    last_.resize(n, h);
    for (int i = 0; i < n; ++i) last_.row(i) = x_.row(offsets_[i + 1] - 1);
    if (layers > 0) {  // the last block: keys and values of all tokens, the rest for `last_`
      const Block& b = blocks_[layers - 1];
      LayerNorm(b.ln1, x_, y_);
      qkv_.noalias() = y_ * b.qkv.w.bottomRows(2 * h).transpose();  // keys, values
      qkv_.rowwise() += b.qkv.b.tail(2 * h);
      y_last_.resize(n, h);
      for (int i = 0; i < n; ++i) y_last_.row(i) = y_.row(offsets_[i + 1] - 1);
      q_.noalias() = y_last_ * b.qkv.w.topRows(h).transpose();
      q_.rowwise() += b.qkv.b.head(h);
      heads_.resize(n, h);
      for (int i = 0; i < n; ++i) {
        const int o = offsets_[i], T = offsets_[i + 1] - o;
        for (int head = 0; head < nh_; ++head) {
          const auto key = qkv_.block(o, head * hd, T, hd);
          const auto v = qkv_.block(o, h + head * hd, T, hd);
          scores_.noalias() = q_.row(i).segment(head * hd, hd) * key.transpose();
          scores_ = ((scores_.array() * scale) - (scores_.maxCoeff() * scale)).exp().matrix();
          scores_ /= scores_.sum();
          heads_.row(i).segment(head * hd, hd).noalias() = scores_ * v;
        }
      }
      ProjectAndMlp(b, last_);
    }
    LayerNorm(ln_f_, last_, y_);
    pred_.noalias() = y_ * predict_action_.w.transpose();
    pred_.rowwise() += predict_action_.b;
    Eigen::Map<Matrix>(out, n, A_) = pred_;
  }

 private:
  // the rest of block b for the rows of x: the attention output (heads_, one row per row
  // of x) projected and added, then the MLP on x's LayerNorm, added.
  void ProjectAndMlp(const Block& b, Matrix& x) {
    y_.noalias() = heads_ * b.proj.w.transpose();
    y_.rowwise() += b.proj.b;
    x += y_;
    LayerNorm(b.ln2, x, y_);
    mlp_.noalias() = y_ * b.fc.w.transpose();
    mlp_.rowwise() += b.fc.b;
    Activate(gelu_, mlp_);
    y_.noalias() = mlp_ * b.fc_proj.w.transpose();
    y_.rowwise() += b.fc_proj.b;
    x += y_;
  }

  int D_, A_, h_, nh_, max_t_;
  bool gelu_;
  Matrix embed_timestep_;
  Linear embed_return_, embed_state_, embed_action_, predict_action_;
  Norm embed_ln_, ln_f_;
  // a minimal growable array: std::vector<Block> would instantiate standard-library code
  // in this translation unit (see dt_forward.h)
  struct Blocks {
    Block* data = nullptr;
    int size_ = 0, capacity = 0;
    ~Blocks() { delete[] data; }
    void push_back(Block b) {
      if (size_ == capacity) {
        capacity = capacity ? 2 * capacity : 4;
        Block* grown = new Block[capacity];
        for (int i = 0; i < size_; ++i) grown[i].swap(data[i]);
        delete[] data;
        data = grown;
      }
      data[size_++].swap(b);
    }
    int size() const { return size_; }
    const Block& operator[](int i) const { return data[i]; }
  } blocks_;
  IndexVector offsets_;
  Matrix x_, y_, qkv_, heads_, att_, mlp_, last_, q_, pred_;
  Matrix y_last_;
  RowVector scores_;
};

}  // namespace
}  // namespace fleet::actor::FLEET_DT_NS
