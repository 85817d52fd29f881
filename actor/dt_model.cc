#include "actor/dt_model.h"

#include <cmath>
#include <map>

namespace fleet::actor {
namespace {

using Matrix = DtModel::Matrix;
using Vector = DtModel::Vector;

struct Tensors {
  std::map<std::string, const proto::Tensor*> by_name;

  StatusOr<Matrix> Get(const std::string& name, int rows, int cols) const {
    auto it = by_name.find(name);
    if (it == by_name.end()) return InvalidArgumentError("transformer weights: no tensor '" + name + "'");
    const proto::Tensor& t = *it->second;
    int64_t n = 1;
    for (uint32_t d : t.shape()) n *= d;
    if (n != int64_t{rows} * cols || t.data_size() != n) {
      return InvalidArgumentError("transformer weights: '" + name + "' has " +
                                  std::to_string(t.data_size()) + " values, expected " +
                                  std::to_string(int64_t{rows} * cols));
    }
    return Matrix(Eigen::Map<const Matrix>(t.data().data(), rows, cols));
  }
  StatusOr<Vector> GetVector(const std::string& name, int n) const {
    FLEET_ASSIGN_OR_RETURN(Matrix m, Get(name, n, 1));
    return Vector(Eigen::Map<const Vector>(m.data(), n));
  }
};

}  // namespace

StatusOr<DtModel> DtModel::FromProto(const proto::DecisionTransformer& t) {
  DtModel m;
  m.state_dim_ = static_cast<int>(t.state_dim());
  m.act_dim_ = static_cast<int>(t.act_dim());
  m.discrete_ = t.discrete();
  m.n_head_ = static_cast<int>(t.n_head());
  m.embed_dim_ = static_cast<int>(t.embed_dim());
  m.context_len_ = static_cast<int>(t.context_len());
  m.max_episode_len_ = static_cast<int>(t.max_episode_len());
  m.gelu_ = t.activation() == "gelu";
  m.rtg_scale_ = t.rtg_scale();
  m.target_return_ = t.target_return();
  const int D = m.state_dim_, A = m.act_dim_, h = m.embed_dim_;
  if (D <= 0 || A <= 0 || h <= 0 || m.n_head_ <= 0 || h % m.n_head_ != 0 || m.context_len_ <= 0 ||
      m.max_episode_len_ <= 0 || !(m.rtg_scale_ > 0)) {
    return InvalidArgumentError("transformer weights: bad shape parameters");
  }
  if (t.state_mean_size() != D || t.state_std_size() != D) {
    return InvalidArgumentError("transformer weights: state statistics of the wrong size");
  }
  m.state_mean_.assign(t.state_mean().begin(), t.state_mean().end());
  m.state_std_.assign(t.state_std().begin(), t.state_std().end());
  Tensors ts;
  for (const auto& x : t.tensors()) ts.by_name[x.name()] = &x;
  auto linear = [&](const std::string& name, int out, int in, Linear& l) -> Status {
    FLEET_ASSIGN_OR_RETURN(l.w, ts.Get(name + ".weight", out, in));
    FLEET_ASSIGN_OR_RETURN(l.b, ts.GetVector(name + ".bias", out));
    return OkStatus();
  };
  auto norm = [&](const std::string& name, LayerNorm& l) -> Status {
    FLEET_ASSIGN_OR_RETURN(l.g, ts.GetVector(name + ".weight", h));
    FLEET_ASSIGN_OR_RETURN(l.b, ts.GetVector(name + ".bias", h));
    return OkStatus();
  };
  FLEET_ASSIGN_OR_RETURN(m.embed_timestep_, ts.Get("embed_timestep.weight", m.max_episode_len_, h));
  FLEET_RETURN_IF_ERROR(linear("embed_return", h, 1, m.embed_return_));
  FLEET_RETURN_IF_ERROR(linear("embed_state", h, D, m.embed_state_));
  FLEET_RETURN_IF_ERROR(linear("embed_action", h, A, m.embed_action_));
  FLEET_RETURN_IF_ERROR(norm("embed_ln", m.embed_ln_));
  for (uint32_t i = 0; i < t.n_layer(); ++i) {
    Block b;
    const std::string p = "blocks." + std::to_string(i) + ".";
    FLEET_RETURN_IF_ERROR(norm(p + "ln1", b.ln1));
    FLEET_RETURN_IF_ERROR(linear(p + "attn_qkv", 3 * h, h, b.qkv));
    FLEET_RETURN_IF_ERROR(linear(p + "attn_proj", h, h, b.proj));
    FLEET_RETURN_IF_ERROR(norm(p + "ln2", b.ln2));
    FLEET_RETURN_IF_ERROR(linear(p + "mlp_fc", 4 * h, h, b.fc));
    FLEET_RETURN_IF_ERROR(linear(p + "mlp_proj", h, 4 * h, b.fc_proj));
    m.blocks_.push_back(std::move(b));
  }
  FLEET_RETURN_IF_ERROR(norm("ln_f", m.ln_f_));
  FLEET_RETURN_IF_ERROR(linear("predict_action", A, h, m.predict_action_));
  return m;
}

void DtModel::Norm(const LayerNorm& ln, const Matrix& x, Matrix& out) const {
  out.resize(x.rows(), x.cols());
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const float mean = x.row(r).mean();
    const float var = (x.row(r).array() - mean).square().mean();
    const float inv = 1.0f / std::sqrt(var + 1e-5f);
    out.row(r) = ((x.row(r).array() - mean) * inv * ln.g.transpose().array() + ln.b.transpose().array()).matrix();
  }
}

void DtModel::PredictLast(std::span<const float> states, std::span<const float> actions,
                          std::span<const float> rtg, std::span<const int64_t> timesteps,
                          int L, std::span<float> out) {
  const int D = state_dim_, A = act_dim_, h = embed_dim_, T = 3 * L;
  const int nh = n_head_, hd = h / nh;
  x_.resize(T, h);
  for (int k = 0; k < L; ++k) {
    const int64_t step = std::clamp<int64_t>(timesteps[k], 0, max_episode_len_ - 1);
    const auto time = embed_timestep_.row(step);
    x_.row(3 * k) = (embed_return_.w.col(0) * rtg[k] + embed_return_.b).transpose() + time;
    const Eigen::Map<const Vector> s(states.data() + k * D, D);
    x_.row(3 * k + 1) = (embed_state_.w * s + embed_state_.b).transpose() + time;
    const Eigen::Map<const Vector> a(actions.data() + k * A, A);
    x_.row(3 * k + 2) = (embed_action_.w * a + embed_action_.b).transpose() + time;
  }
  Norm(embed_ln_, x_, y_);
  x_ = y_;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  for (const Block& b : blocks_) {
    Norm(b.ln1, x_, y_);
    qkv_.noalias() = y_ * b.qkv.w.transpose();
    qkv_.rowwise() += b.qkv.b.transpose();
    heads_.resize(T, h);
    for (int head = 0; head < nh; ++head) {
      const auto q = qkv_.middleCols(head * hd, hd);
      const auto key = qkv_.middleCols(h + head * hd, hd);
      const auto v = qkv_.middleCols(2 * h + head * hd, hd);
      att_.noalias() = q * key.transpose();
      att_ *= scale;
      // causal softmax: row i attends to keys 0..i.
      for (int i = 0; i < T; ++i) {
        const float mx = att_.row(i).head(i + 1).maxCoeff();
        float sum = 0;
        for (int j = 0; j <= i; ++j) {
          const float e = std::exp(att_(i, j) - mx);
          att_(i, j) = e;
          sum += e;
        }
        att_.row(i).head(i + 1) /= sum;
        att_.row(i).tail(T - i - 1).setZero();
      }
      heads_.middleCols(head * hd, hd).noalias() = att_ * v;
    }
    y_.noalias() = heads_ * b.proj.w.transpose();
    y_.rowwise() += b.proj.b.transpose();
    x_ += y_;
    Norm(b.ln2, x_, y_);
    mlp_.noalias() = y_ * b.fc.w.transpose();
    mlp_.rowwise() += b.fc.b.transpose();
    if (gelu_) {
      constexpr float kC = 0.7978845608028654f;  // sqrt(2 / pi)
      mlp_ = (0.5f * mlp_.array() *
              (1.0f + (kC * (mlp_.array() + 0.044715f * mlp_.array().cube())).tanh()))
                 .matrix();
    } else {
      mlp_ = mlp_.cwiseMax(0.0f);
    }
    y_.noalias() = mlp_ * b.fc_proj.w.transpose();
    y_.rowwise() += b.fc_proj.b.transpose();
    x_ += y_;
  }
  // the last state token only: its final LayerNorm and the action head.
  Matrix last = x_.row(T - 2);
  Norm(ln_f_, last, y_);
  Vector pred = predict_action_.w * y_.row(0).transpose() + predict_action_.b;
  for (int j = 0; j < A; ++j) out[j] = discrete_ ? pred[j] : std::tanh(pred[j]);
}

}  // namespace fleet::actor
