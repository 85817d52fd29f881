#include "learner/sac.h"

#include <cmath>

#include "learner/torch_runtime.h"

namespace fleet::learner {
namespace {

torch::Tensor FromVector(const std::vector<float>& v) {
  return torch::tensor(v, torch::kFloat32);
}

SacMlp MakeQ(int obs_dim, int action_dim, const std::vector<int>& hidden) {
  return SacMlp(obs_dim + action_dim, hidden, 1);
}

// Parameters that stop requiring gradients while it lives (and require them again after).
class FrozenParameters {
 public:
  explicit FrozenParameters(std::vector<torch::Tensor> params) : params_(std::move(params)) {
    for (auto& p : params_) p.set_requires_grad(false);
  }
  ~FrozenParameters() {
    for (auto& p : params_) p.set_requires_grad(true);
  }
  FrozenParameters(const FrozenParameters&) = delete;
  FrozenParameters& operator=(const FrozenParameters&) = delete;

 private:
  std::vector<torch::Tensor> params_;
};

}  // namespace

SacMlpImpl::SacMlpImpl(int in, const std::vector<int>& hidden, int out) {
  int width = in;
  for (size_t i = 0; i <= hidden.size(); ++i) {
    const int next = i < hidden.size() ? hidden[i] : out;
    layers_.push_back(register_module("fc" + std::to_string(i), torch::nn::Linear(width, next)));
    width = next;
  }
}

torch::Tensor SacMlpImpl::forward(torch::Tensor x) {
  for (size_t i = 0; i < layers_.size(); ++i) {
    x = layers_[i]->forward(x);
    if (i + 1 < layers_.size()) x = torch::relu(x);
  }
  return x;
}

SacActorImpl::SacActorImpl(int obs_dim, const std::vector<int>& hidden, std::vector<float> low,
                           std::vector<float> high) {
  const int a = static_cast<int>(low.size());
  // the trunk's last hidden layer feeds both heads (ReLU after it).
  std::vector<int> trunk_hidden(hidden.begin(), hidden.end() - 1);
  trunk_ = register_module("trunk", SacMlp(obs_dim, trunk_hidden, hidden.back()));
  mean_ = register_module("fc_mean", torch::nn::Linear(hidden.back(), a));
  log_std_ = register_module("fc_logstd", torch::nn::Linear(hidden.back(), a));
  std::vector<float> scale(a), bias(a);
  for (int i = 0; i < a; ++i) {
    scale[i] = (high[i] - low[i]) / 2.0f;
    bias[i] = (high[i] + low[i]) / 2.0f;
  }
  scale_ = register_buffer("action_scale", FromVector(scale));
  bias_ = register_buffer("action_bias", FromVector(bias));
}

std::pair<torch::Tensor, torch::Tensor> SacActorImpl::forward(torch::Tensor obs) {
  const torch::Tensor h = torch::relu(trunk_->forward(obs));
  torch::Tensor log_std = torch::tanh(log_std_->forward(h));
  log_std = kSacLogStdMin + 0.5 * (kSacLogStdMax - kSacLogStdMin) * (log_std + 1);
  return {mean_->forward(h), log_std};
}

SquashedSample SacActorImpl::Sample(const torch::Tensor& obs) {
  auto [mean, log_std] = forward(obs);
  const torch::Tensor x = mean + log_std.exp() * torch::randn_like(mean);
  SquashedSample s;
  s.action = torch::tanh(x) * scale_ + bias_;
  s.log_prob = SquashedLogProb(x, mean, log_std, scale_);
  s.mean_action = torch::tanh(mean) * scale_ + bias_;
  return s;
}

torch::Tensor SquashedLogProb(const torch::Tensor& x, const torch::Tensor& mean,
                              const torch::Tensor& log_std, const torch::Tensor& scale) {
  static const double kHalfLog2Pi = 0.5 * std::log(2.0 * M_PI);
  const torch::Tensor z = (x - mean) / log_std.exp();
  const torch::Tensor gaussian = -0.5 * z * z - log_std - kHalfLog2Pi;
  const torch::Tensor y = torch::tanh(x);
  const torch::Tensor correction = torch::log(scale * (1 - y * y) + 1e-6);
  return (gaussian - correction).sum(-1);
}

torch::Tensor SoftQTarget(const torch::Tensor& rewards, const torch::Tensor& terminated,
                          const torch::Tensor& next_min_q, const torch::Tensor& next_log_prob,
                          double alpha, double gamma) {
  return rewards + gamma * (1 - terminated) * (next_min_q - alpha * next_log_prob);
}

void PolyakUpdate(torch::nn::Module& target, const torch::nn::Module& online, double tau) {
  torch::NoGradGuard no_grad;
  const auto src = online.parameters();
  auto dst = target.parameters();
  for (size_t i = 0; i < dst.size(); ++i) dst[i].mul_(1.0 - tau).add_(src[i], tau);
}

Sac::Sac(int obs_dim, std::vector<float> action_low, std::vector<float> action_high,
         const SacConfig& config, uint64_t seed, const std::string& device)
    : c_(config),
      obs_dim_(obs_dim),
      action_dim_(static_cast<int>(action_low.size())),
      device_(ResolveDevice(device)),
      actor_((torch::manual_seed(seed), SacActor(obs_dim, config.hidden, action_low, action_high))),
      qf1_(MakeQ(obs_dim, action_dim_, config.hidden)),
      qf2_(MakeQ(obs_dim, action_dim_, config.hidden)),
      qf1_target_(MakeQ(obs_dim, action_dim_, config.hidden)),
      qf2_target_(MakeQ(obs_dim, action_dim_, config.hidden)),
      log_alpha_(torch::full({1}, std::log(config.alpha), torch::kFloat32)),
      target_entropy_(config.target_entropy != 0.0 ? config.target_entropy
                                                   : -static_cast<double>(action_dim_)),
      q_opt_([&] {
        std::vector<torch::Tensor> p = qf1_->parameters();
        for (auto& t : qf2_->parameters()) p.push_back(t);
        return p;
      }(), torch::optim::AdamOptions(config.q_lr)),
      actor_opt_(actor_->parameters(), torch::optim::AdamOptions(config.policy_lr)) {
  // the targets start as copies of the critics (CleanRL's load_state_dict).
  PolyakUpdate(*qf1_target_, *qf1_, 1.0);
  PolyakUpdate(*qf2_target_, *qf2_, 1.0);
  for (auto* m : std::initializer_list<torch::nn::Module*>{actor_.get(), qf1_.get(), qf2_.get(),
                                                          qf1_target_.get(), qf2_target_.get()}) {
    m->to(device_);
  }
  log_alpha_ = log_alpha_.to(device_).set_requires_grad(c_.autotune);
  if (c_.autotune) {
    // CleanRL tunes the temperature with the critics' learning rate.
    alpha_opt_ = std::make_unique<torch::optim::Adam>(std::vector<torch::Tensor>{log_alpha_},
                                                      torch::optim::AdamOptions(c_.q_lr));
  }
}

double Sac::alpha() const { return log_alpha_.exp().item<double>(); }

StatusOr<SacStepMetrics> Sac::Update(const replay::TransitionBatch& b) {
  const int64_t B = b.size;
  if (B <= 0 || b.obs.size() != static_cast<size_t>(B * obs_dim_) ||
      b.next_obs.size() != b.obs.size() || b.actions.size() != static_cast<size_t>(B * action_dim_) ||
      b.rewards.size() != static_cast<size_t>(B) || b.terminated.size() != static_cast<size_t>(B)) {
    return InvalidArgumentError("SAC batch of " + std::to_string(B) + " transitions has " +
                                std::to_string(b.obs.size()) + " observation and " +
                                std::to_string(b.actions.size()) + " action values; this run has " +
                                std::to_string(obs_dim_) + " and " + std::to_string(action_dim_) +
                                " per transition");
  }
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  const torch::Tensor obs = torch::from_blob(const_cast<float*>(b.obs.data()), {B, obs_dim_}, f32).to(device_);
  const torch::Tensor next_obs =
      torch::from_blob(const_cast<float*>(b.next_obs.data()), {B, obs_dim_}, f32).to(device_);
  const torch::Tensor act =
      torch::from_blob(const_cast<float*>(b.actions.data()), {B, action_dim_}, f32).to(device_);
  const torch::Tensor rew = torch::from_blob(const_cast<float*>(b.rewards.data()), {B}, f32).to(device_);
  const torch::Tensor term =
      torch::from_blob(const_cast<uint8_t*>(b.terminated.data()), {B}, torch::kUInt8)
          .to(torch::kFloat32)
          .to(device_);
  ++steps_;
  SacStepMetrics m;
  double alpha = this->alpha();
  torch::Tensor target;
  {
    torch::NoGradGuard no_grad;
    const SquashedSample next = actor_->Sample(next_obs);
    const torch::Tensor sa = torch::cat({next_obs, next.action}, 1);
    const torch::Tensor min_q =
        torch::min(qf1_target_->forward(sa), qf2_target_->forward(sa)).squeeze(1);
    target = SoftQTarget(rew, term, min_q, next.log_prob, alpha, c_.gamma);
  }
  const torch::Tensor sa = torch::cat({obs, act}, 1);
  const torch::Tensor q1 = qf1_->forward(sa).squeeze(1), q2 = qf2_->forward(sa).squeeze(1);
  const torch::Tensor l1 = torch::mse_loss(q1, target), l2 = torch::mse_loss(q2, target);
  q_opt_.zero_grad();
  (l1 + l2).backward();
  q_opt_.step();
  m.qf1_loss = l1.item<double>();
  m.qf2_loss = l2.item<double>();
  m.qf1_value = q1.mean().item<double>();
  m.qf2_value = q2.mean().item<double>();

  if (steps_ % c_.policy_frequency == 0) {
    m.policy_updated = true;
    for (int k = 0; k < c_.policy_frequency; ++k) {
      const SquashedSample pi = actor_->Sample(obs);
      const torch::Tensor spi = torch::cat({obs, pi.action}, 1);
      torch::Tensor actor_loss;
      {
        // The actor's loss reaches the critics' weights too, but those gradients are never
        // used: the critic step zeroes them before its own backward pass (CleanRL computes
        // and discards them). With the critics' parameters frozen, autograd computes only
        // the gradient that flows through the critics into the action: the same update
        // without the critics' weight-gradient products (a tenth of an update's FLOPs).
        FrozenParameters frozen(q_opt_.param_groups()[0].params());  // both critics
        const torch::Tensor min_q = torch::min(qf1_->forward(spi), qf2_->forward(spi)).squeeze(1);
        actor_loss = (alpha * pi.log_prob - min_q).mean();
        actor_opt_.zero_grad();
        actor_loss.backward();
      }
      actor_opt_.step();
      m.actor_loss = actor_loss.item<double>();
      if (c_.autotune) {
        torch::Tensor log_prob;
        {
          torch::NoGradGuard no_grad;
          log_prob = actor_->Sample(obs).log_prob;
        }
        const torch::Tensor alpha_loss = (-log_alpha_.exp() * (log_prob + target_entropy_)).mean();
        alpha_opt_->zero_grad();
        alpha_loss.backward();
        alpha_opt_->step();
        alpha = this->alpha();
        m.alpha_loss = alpha_loss.item<double>();
      }
    }
  }
  if (steps_ % c_.target_network_frequency == 0) {
    PolyakUpdate(*qf1_target_, *qf1_, c_.tau);
    PolyakUpdate(*qf2_target_, *qf2_, c_.tau);
  }
  m.alpha = alpha;
  return m;
}

}  // namespace fleet::learner
