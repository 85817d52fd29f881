#include "actor/mlp_policy.h"

#include <limits>

#include <algorithm>
#include <cmath>

namespace fleet::actor {

StatusOr<Mlp> Mlp::FromProto(const proto::Mlp& mlp, bool activate_last) {
  if (mlp.layers_size() == 0) return InvalidArgumentError("weights: MLP has no layers");
  Mlp m;
  m.activation_ = mlp.activation();
  m.activate_last_ = activate_last;
  for (int i = 0; i < mlp.layers_size(); ++i) {
    const auto& l = mlp.layers(i);
    const int in = static_cast<int>(l.in_dim()), out = static_cast<int>(l.out_dim());
    if (in <= 0 || out <= 0 || l.weight_size() != in * out || l.bias_size() != out) {
      return InvalidArgumentError("weights: layer " + std::to_string(i) + " has " +
                                  std::to_string(l.weight_size()) + " weights and " +
                                  std::to_string(l.bias_size()) + " biases for shape " +
                                  std::to_string(out) + "x" + std::to_string(in));
    }
    if (i > 0 && in != static_cast<int>(mlp.layers(i - 1).out_dim())) {
      return InvalidArgumentError("weights: layer " + std::to_string(i) +
                                  " input does not match the previous layer's output");
    }
    m.weights_.push_back(Eigen::Map<const RowMatrix>(l.weight().data(), out, in));
    m.biases_.push_back(Eigen::Map<const Eigen::RowVectorXf>(l.bias().data(), out));
  }
  m.scratch_.resize(m.weights_.size());
  return m;
}

void Mlp::Forward(const RowMatrix& x, RowMatrix& out) const {
  const RowMatrix* in = &x;
  for (size_t i = 0; i < weights_.size(); ++i) {
    RowMatrix& y = (i + 1 == weights_.size()) ? out : scratch_[i];
    y.noalias() = *in * weights_[i].transpose();
    y.rowwise() += biases_[i];
    if (i + 1 < weights_.size() || activate_last_) {
      if (activation_ == proto::ACTIVATION_RELU) {
        y = y.cwiseMax(0.0f);
      } else {
        y = y.array().tanh();
      }
    }
    in = &y;
  }
}

StatusOr<MlpPolicy> MlpPolicy::FromProto(const proto::PolicyWeights& weights, int obs_dim,
                                         int num_actions_or_dim, bool discrete,
                                         int action_mask_offset) {
  MlpPolicy p;
  if (action_mask_offset >= 0 && (!discrete || action_mask_offset + num_actions_or_dim > obs_dim)) {
    return InvalidArgumentError("action mask at observation entry " + std::to_string(action_mask_offset) +
                                " does not fit a discrete space of " +
                                std::to_string(num_actions_or_dim) + " actions in " +
                                std::to_string(obs_dim) + " observation entries");
  }
  p.mask_offset_ = action_mask_offset;
  p.version_ = weights.version();
  p.discrete_ = discrete;
  p.obs_dim_ = obs_dim;
  p.action_width_ = discrete ? 1 : num_actions_or_dim;
  if ((weights.distribution() == proto::DISTRIBUTION_CATEGORICAL) != discrete) {
    return InvalidArgumentError("weights: distribution does not match the env's action space");
  }
  FLEET_ASSIGN_OR_RETURN(p.actor_, Mlp::FromProto(weights.actor()));
  FLEET_ASSIGN_OR_RETURN(p.critic_, Mlp::FromProto(weights.critic()));
  if (p.actor_.in_dim() != obs_dim || p.critic_.in_dim() != obs_dim) {
    return InvalidArgumentError("weights: network input is not the env's obs_dim " +
                                std::to_string(obs_dim));
  }
  if (p.actor_.out_dim() != num_actions_or_dim || p.critic_.out_dim() != 1) {
    return InvalidArgumentError("weights: network outputs do not match the action space");
  }
  if (!discrete) {
    if (weights.log_std_size() != num_actions_or_dim) {
      return InvalidArgumentError("weights: log_std has the wrong size");
    }
    p.log_std_.assign(weights.log_std().begin(), weights.log_std().end());
  }
  if (weights.has_obs_normalizer()) {
    const auto& n = weights.obs_normalizer();
    if (n.mean_size() != obs_dim || n.var_size() != obs_dim) {
      return InvalidArgumentError("weights: normalizer has the wrong size");
    }
    for (int i = 0; i < obs_dim; ++i) {
      p.norm_mean_.push_back(static_cast<float>(n.mean(i)));
      p.norm_inv_std_.push_back(static_cast<float>(1.0 / std::sqrt(n.var(i) + 1e-8)));
    }
    p.norm_clip_ = n.clip();
  }
  return p;
}

void MlpPolicy::Prepare(std::span<const float> obs, int batch) {
  FLEET_CHECK(static_cast<int>(obs.size()) == batch * obs_dim_);
  x_ = Eigen::Map<const RowMatrix>(obs.data(), batch, obs_dim_);
  if (!norm_mean_.empty()) {
    for (int r = 0; r < batch; ++r) {
      for (int c = 0; c < obs_dim_; ++c) {
        float v = (x_(r, c) - norm_mean_[c]) * norm_inv_std_[c];
        if (norm_clip_ > 0) v = std::clamp(v, -norm_clip_, norm_clip_);
        x_(r, c) = v;
      }
    }
  }
  actor_.Forward(x_, logits_);
}

void MlpPolicy::Mask(std::span<const float> obs, int b) {
  if (mask_offset_ < 0) return;
  const int k = static_cast<int>(logits_.cols());
  const float* m = obs.data() + static_cast<size_t>(b) * obs_dim_ + mask_offset_;
  bool any = false;
  for (int j = 0; j < k; ++j) any |= m[j] > 0.5f;
  if (!any) return;
  for (int j = 0; j < k; ++j) {
    if (m[j] <= 0.5f) logits_(b, j) = -std::numeric_limits<float>::infinity();
  }
}

void MlpPolicy::Act(std::span<const float> obs, int batch, std::mt19937_64& rng,
                    std::span<float> actions, std::span<float> logprobs,
                    std::span<float> values) {
  Prepare(obs, batch);
  critic_.Forward(x_, value_);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int k = static_cast<int>(logits_.cols());
  for (int b = 0; b < batch; ++b) {
    values[b] = value_(b, 0);
    if (discrete_) {
      Mask(obs, b);
      // log-softmax, then inverse-CDF sampling (a masked action's exp is 0: never drawn).
      const float mx = logits_.row(b).maxCoeff();
      float sum = 0.0f;
      for (int j = 0; j < k; ++j) sum += std::exp(logits_(b, j) - mx);
      const float log_z = mx + std::log(sum);
      const float u = uniform(rng);
      float cdf = 0.0f;
      int a = -1;
      for (int j = 0; j < k; ++j) {
        const float p = std::exp(logits_(b, j) - log_z);
        if (p == 0.0f) continue;
        a = j;  // the last action with probability > 0 catches rounding of the cdf
        cdf += p;
        if (u < cdf) break;
      }
      actions[b] = static_cast<float>(a);
      logprobs[b] = logits_(b, a) - log_z;
    } else {
      constexpr float kHalfLog2Pi = 0.91893853320467274f;
      float lp = 0.0f;
      if (noise_hold_ > 1) {
        if (static_cast<int>(held_left_.size()) != batch) {
          held_left_.assign(batch, 0);
          held_eps_.assign(static_cast<size_t>(batch) * k, 0.0f);
        }
        if (held_left_[b] == 0) {
          for (int j = 0; j < k; ++j) held_eps_[b * k + j] = normal(rng);
          held_left_[b] = noise_hold_;
        }
        --held_left_[b];
      }
      for (int j = 0; j < k; ++j) {
        const float eps = noise_hold_ > 1 ? held_eps_[b * k + j] : normal(rng);
        actions[b * k + j] = logits_(b, j) + std::exp(log_std_[j]) * eps;
        lp += -0.5f * eps * eps - log_std_[j] - kHalfLog2Pi;
      }
      logprobs[b] = lp;
    }
  }
}

void MlpPolicy::ActGreedy(std::span<const float> obs, int batch, std::span<float> actions,
                          std::span<float> values) {
  Prepare(obs, batch);
  if (!values.empty()) {
    critic_.Forward(x_, value_);
    for (int b = 0; b < batch; ++b) values[b] = value_(b, 0);
  }
  const int k = static_cast<int>(logits_.cols());
  for (int b = 0; b < batch; ++b) {
    if (discrete_) {
      Mask(obs, b);
      Eigen::Index arg;
      logits_.row(b).maxCoeff(&arg);
      actions[b] = static_cast<float>(arg);
    } else {
      for (int j = 0; j < k; ++j) actions[b * k + j] = logits_(b, j);
    }
  }
}

}  // namespace fleet::actor
