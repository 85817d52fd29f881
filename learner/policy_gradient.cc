#include "learner/policy_gradient.h"

#include <algorithm>
#include <cmath>

#include "learner/torch_runtime.h"
#include "learner/weights.h"

namespace fleet::learner {
namespace {

StatusOr<NetworkOptions> ReadNetwork(const ExperimentConfig& config, const envs::EnvSpec& spec) {
  MlpConfig mlp;
  FLEET_RETURN_IF_ERROR(ReadLearnerSection(config, "network", mlp));
  return NetworkOptionsFor(spec, mlp);
}

double Anneal(bool anneal, const UpdateProgress& p) {
  if (!anneal) return 1.0;
  return std::max(0.0, 1.0 - static_cast<double>(p.update) / static_cast<double>(p.num_updates));
}

}  // namespace

PgLossTerms ComputeReinforceLoss(const PolicyOutput& current, const torch::Tensor& returns,
                                 const ReinforceConfig& c) {
  PgLossTerms t;
  torch::Tensor adv = c.baseline ? returns - current.value.detach() : returns;
  if (c.normalize_advantages && adv.numel() > 1) adv = (adv - adv.mean()) / (adv.std() + 1e-8);
  t.policy_loss = -(current.logprob * adv).mean();
  t.entropy = current.entropy.mean();
  t.value_loss = c.baseline ? 0.5 * (current.value - returns).pow(2).mean()
                            : torch::zeros({}, returns.options());
  t.loss = t.policy_loss - c.ent_coef * t.entropy;
  if (c.baseline) t.loss = t.loss + c.vf_coef * t.value_loss;
  return t;
}

PgLossTerms ComputeGrpoLoss(const PolicyOutput& current, const torch::Tensor& behaviour_logprob,
                            const torch::Tensor& adv, const torch::Tensor& ref_logprob,
                            const GrpoConfig& c) {
  PgLossTerms t;
  const torch::Tensor logratio = current.logprob - behaviour_logprob;
  const torch::Tensor ratio = logratio.exp();
  const torch::Tensor pg1 = -adv * ratio;
  const torch::Tensor pg2 = -adv * torch::clamp(ratio, 1 - c.clip_coef, 1 + c.clip_coef);
  t.policy_loss = torch::max(pg1, pg2).mean();
  t.entropy = current.entropy.mean();
  if (ref_logprob.defined()) {
    const torch::Tensor q = ref_logprob - current.logprob;
    t.ref_kl = (q.exp() - q - 1).mean();
  } else {
    t.ref_kl = torch::zeros({}, adv.options());
  }
  t.loss = t.policy_loss - c.ent_coef * t.entropy + c.kl_coef * t.ref_kl;
  {
    torch::NoGradGuard no_grad;
    t.approx_kl = ((ratio - 1) - logratio).mean();
    t.clip_fraction = ((ratio - 1.0).abs() > c.clip_coef).to(torch::kFloat32).mean();
  }
  return t;
}

// ---------------------------------------------------------------------------------------

EpisodicPolicyGradient::EpisodicPolicyGradient(const AlgorithmInfo* info, const envs::EnvSpec& spec,
                                               const NetworkOptions& net, double learning_rate,
                                               uint64_t seed, const std::string& device)
    : info_(info),
      spec_(spec),
      net_(net),
      device_(ResolveDevice(device)),
      model_(MakeActorCritic(net, seed)),
      optimizer_(model_->parameters(), torch::optim::AdamOptions(learning_rate)),
      assembler_(net.obs_dim, net.discrete ? 0 : net.action_dim) {
  model_->to(device_);
}

EpisodicPolicyGradient::Steps EpisodicPolicyGradient::Gather(
    const std::vector<const Episode*>& episodes) const {
  const int D = net_.obs_dim, A = net_.discrete ? 1 : net_.action_dim;
  Steps s;
  for (const Episode* e : episodes) s.count += e->length();
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  torch::Tensor obs = torch::empty({s.count, D}, f32);
  torch::Tensor logp = torch::empty({s.count}, f32);
  torch::Tensor act = net_.discrete ? torch::empty({s.count}, torch::TensorOptions().dtype(torch::kInt64))
                                    : torch::empty({s.count, A}, f32);
  float* o = obs.data_ptr<float>();
  float* l = logp.data_ptr<float>();
  int64_t k = 0;
  for (const Episode* e : episodes) {
    std::copy(e->observations.begin(), e->observations.end(), o + k * D);
    std::copy(e->logprobs.begin(), e->logprobs.end(), l + k);
    if (net_.discrete) {
      std::copy(e->discrete_actions.begin(), e->discrete_actions.end(), act.data_ptr<int64_t>() + k);
    } else {
      std::copy(e->continuous_actions.begin(), e->continuous_actions.end(), act.data_ptr<float>() + k * A);
    }
    k += e->length();
  }
  s.obs = obs.to(device_);
  s.actions = act.to(device_);
  s.behaviour_logprob = logp.to(device_);
  return s;
}

void EpisodicPolicyGradient::SetLearningRate(double lr) {
  for (auto& group : optimizer_.param_groups()) {
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
  }
}

proto::PolicyWeights EpisodicPolicyGradient::ExportPolicy(uint64_t version) {
  return ExportWeights(model_, version);
}

NamedModules EpisodicPolicyGradient::Modules() {
  NamedModules modules = {{"model", model_.get()}};
  for (auto& [name, module] : ExtraModules()) modules.emplace_back(name, module.get());
  return modules;
}

Status EpisodicPolicyGradient::Save(const std::string& dir, const std::string& prefix,
                                    std::string* state) {
  state->clear();  // everything is in the files
  return SaveTorchState(dir, prefix, info_->name + " model", Modules(), optimizer_);
}

Status EpisodicPolicyGradient::Restore(const std::string& dir, const std::string& /*state*/) {
  return LoadTorchState(dir, info_->name + " model", Modules(), optimizer_);
}

void EpisodicPolicyGradient::Reseed(uint64_t seed) { torch::manual_seed(seed); }

// ---------------------------------------------------------------------------------------

StatusOr<std::unique_ptr<ReinforceAlgorithm>> ReinforceAlgorithm::Create(
    const ExperimentConfig& config, const envs::EnvSpec& spec) {
  FLEET_ASSIGN_OR_RETURN(const AlgorithmInfo* info, FindAlgorithm("reinforce"));
  FLEET_RETURN_IF_ERROR(info->validate(config));
  FLEET_ASSIGN_OR_RETURN(NetworkOptions net, ReadNetwork(config, spec));
  ReinforceConfig c;
  FLEET_RETURN_IF_ERROR(ReadLearnerSection(config, "reinforce", c));
  return std::unique_ptr<ReinforceAlgorithm>(new ReinforceAlgorithm(
      info, spec, net, c, static_cast<uint64_t>(config.run.seed), config.learner.device));
}

ReinforceAlgorithm::ReinforceAlgorithm(const AlgorithmInfo* info, const envs::EnvSpec& spec,
                                       const NetworkOptions& net, const ReinforceConfig& config,
                                       uint64_t seed, const std::string& device)
    : EpisodicPolicyGradient(info, spec, net, config.learning_rate, seed, device), config_(config) {}

std::string ReinforceAlgorithm::Describe() const {
  return std::string("REINFORCE") + (config_.baseline ? " with a learned baseline" : "") + " on " +
         spec_.id + " (" + spec_.action_space.ToString() + "), device " + device_.str();
}

const std::vector<MetricSpec>& ReinforceAlgorithm::metrics() const {
  static const std::vector<MetricSpec> specs = {
      {"policy_loss", "losses/policy_loss"},
      {"value_loss", "losses/value_loss"},
      {"entropy", "losses/entropy"},
      {"update_episodes", "charts/update_episodes"},
      {"update_steps", "charts/update_steps"},
      {"dropped_episodes", "charts/dropped_episodes"},
      {"learning_rate", "charts/learning_rate"}};
  return specs;
}

StatusOr<std::vector<double>> ReinforceAlgorithm::Update(RolloutBatch& batch,
                                                         const UpdateProgress& progress) {
  std::vector<Episode> episodes;
  for (const auto& c : batch.chunks) {
    FLEET_ASSIGN_OR_RETURN(std::vector<Episode> done, assembler_.Add(c));
    for (Episode& e : done) episodes.push_back(std::move(e));
  }
  const double lr = config_.learning_rate * Anneal(config_.anneal_lr, progress);
  const double dropped = static_cast<double>(assembler_.dropped_episodes());
  if (episodes.empty()) return std::vector<double>{0, 0, 0, 0, 0, dropped, lr};

  std::vector<const Episode*> ptrs;
  std::vector<float> returns;
  for (const Episode& e : episodes) {
    ptrs.push_back(&e);
    const std::vector<float> g = DiscountedReturns(e.rewards, config_.gamma);
    returns.insert(returns.end(), g.begin(), g.end());
  }
  const Steps s = Gather(ptrs);
  const torch::Tensor ret =
      torch::from_blob(returns.data(), {s.count}, torch::kFloat32).clone().to(device_);
  SetLearningRate(lr);
  const PolicyOutput out = model_->Evaluate(s.obs, s.actions);
  const PgLossTerms t = ComputeReinforceLoss(out, ret, config_);
  optimizer_.zero_grad();
  t.loss.backward();
  if (config_.max_grad_norm > 0) {
    torch::nn::utils::clip_grad_norm_(model_->parameters(), config_.max_grad_norm);
  }
  optimizer_.step();
  return std::vector<double>{t.policy_loss.item<double>(),
                             t.value_loss.item<double>(),
                             t.entropy.item<double>(),
                             static_cast<double>(episodes.size()),
                             static_cast<double>(s.count),
                             dropped,
                             lr};
}

// ---------------------------------------------------------------------------------------

StatusOr<std::unique_ptr<GrpoAlgorithm>> GrpoAlgorithm::Create(const ExperimentConfig& config,
                                                                const envs::EnvSpec& spec) {
  FLEET_ASSIGN_OR_RETURN(const AlgorithmInfo* info, FindAlgorithm("grpo"));
  FLEET_RETURN_IF_ERROR(info->validate(config));
  FLEET_ASSIGN_OR_RETURN(NetworkOptions net, ReadNetwork(config, spec));
  GrpoConfig c;
  FLEET_RETURN_IF_ERROR(ReadLearnerSection(config, "grpo", c));
  return std::unique_ptr<GrpoAlgorithm>(
      new GrpoAlgorithm(info, spec, net, c, config.env.group_size,
                        static_cast<uint64_t>(config.run.seed), config.learner.device));
}

GrpoAlgorithm::GrpoAlgorithm(const AlgorithmInfo* info, const envs::EnvSpec& spec,
                             const NetworkOptions& net, const GrpoConfig& config, int group_size,
                             uint64_t seed, const std::string& device)
    : EpisodicPolicyGradient(info, spec, net, config.learning_rate, seed, device),
      config_(config),
      group_size_(group_size),
      grouper_(group_size, config.max_group_wait),
      reference_(nullptr) {
  if (config_.kl_coef > 0) {
    reference_ = ActorCritic(net);
    reference_->to(device_);
    CopyToReference();
  }
}

void GrpoAlgorithm::CopyToReference() {
  torch::NoGradGuard no_grad;
  auto src = model_->parameters();
  auto dst = reference_->parameters();
  for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
}

std::vector<std::pair<std::string, ActorCritic>> GrpoAlgorithm::ExtraModules() {
  if (!reference_) return {};
  return {{"reference", reference_}};
}

std::string GrpoAlgorithm::Describe() const {
  return "group-relative policy gradient (groups of " + std::to_string(group_size_) +
         " episodes from one seed, " + config_.supervision + " supervision" +
         (config_.kl_coef > 0 ? ", KL " + std::to_string(config_.kl_coef) + " to a reference" : "") +
         ") on " + spec_.id + " (" + spec_.action_space.ToString() + "), device " + device_.str();
}

const std::vector<MetricSpec>& GrpoAlgorithm::metrics() const {
  static const std::vector<MetricSpec> specs = {
      {"policy_loss", "losses/policy_loss"},
      {"entropy", "losses/entropy"},
      {"approx_kl", "losses/approx_kl"},
      {"clip_fraction", "losses/clipfrac"},
      {"ref_kl", "losses/ref_kl"},
      {"update_groups", "charts/update_groups"},
      {"update_steps", "charts/update_steps"},
      {"group_return_std", "charts/group_return_std"},
      {"dropped_groups", "charts/dropped_groups"},
      {"learning_rate", "charts/learning_rate"}};
  return specs;
}

StatusOr<std::vector<double>> GrpoAlgorithm::Update(RolloutBatch& batch,
                                                    const UpdateProgress& progress) {
  for (const auto& c : batch.chunks) {
    FLEET_ASSIGN_OR_RETURN(std::vector<Episode> done, assembler_.Add(c));
    FLEET_RETURN_IF_ERROR(grouper_.Add(std::move(done)));
  }
  const std::vector<std::vector<Episode>> groups = grouper_.Take();
  const double lr = config_.learning_rate * Anneal(config_.anneal_lr, progress);
  const double dropped = static_cast<double>(grouper_.dropped_groups());
  if (groups.empty()) return std::vector<double>{0, 0, 0, 0, 0, 0, 0, 0, dropped, lr};

  std::vector<const Episode*> ptrs;
  std::vector<float> adv;
  double std_sum = 0.0;
  for (const auto& g : groups) {
    std::vector<double> returns;
    for (const Episode& e : g) returns.push_back(e.Return());
    std_sum += Moments(returns).std;
    const bool process = config_.supervision == "process";
    std::vector<float> a;
    std::vector<std::vector<float>> steps;
    if (process) {
      std::vector<std::span<const float>> rewards;
      for (const Episode& e : g) rewards.emplace_back(e.rewards);
      steps = ProcessAdvantages(rewards, config_.adv_eps);
    } else {
      a = GroupAdvantages(returns, config_.adv_eps);
    }
    for (size_t i = 0; i < g.size(); ++i) {
      ptrs.push_back(&g[i]);
      if (process) {
        adv.insert(adv.end(), steps[i].begin(), steps[i].end());
      } else {
        adv.insert(adv.end(), g[i].length(), a[i]);
      }
    }
  }
  const Steps s = Gather(ptrs);
  const int64_t B = s.count;
  const torch::Tensor b_adv = torch::from_blob(adv.data(), {B}, torch::kFloat32).clone().to(device_);
  torch::Tensor b_ref;
  if (reference_) {
    torch::NoGradGuard no_grad;
    b_ref = reference_->Evaluate(s.obs, s.actions).logprob;
  }
  SetLearningRate(lr);
  const int64_t mb = std::max<int64_t>(1, B / config_.num_minibatches);
  torch::Tensor sums = torch::zeros({5}, torch::TensorOptions().dtype(torch::kFloat32).device(device_));
  int count = 0;
  for (int epoch = 0; epoch < config_.update_epochs; ++epoch) {
    torch::Tensor perm = torch::randperm(B, torch::TensorOptions().dtype(torch::kInt64)).to(device_);
    for (int64_t start = 0; start + mb <= B; start += mb) {
      const torch::Tensor idx = perm.slice(0, start, start + mb);
      const PolicyOutput out = model_->Evaluate(s.obs.index_select(0, idx), s.actions.index_select(0, idx));
      const PgLossTerms t = ComputeGrpoLoss(
          out, s.behaviour_logprob.index_select(0, idx), b_adv.index_select(0, idx),
          b_ref.defined() ? b_ref.index_select(0, idx) : torch::Tensor(), config_);
      optimizer_.zero_grad();
      t.loss.backward();
      torch::nn::utils::clip_grad_norm_(model_->parameters(), config_.max_grad_norm);
      optimizer_.step();
      torch::NoGradGuard no_grad;
      sums.add_(torch::stack({t.policy_loss.detach(), t.entropy.detach(), t.approx_kl,
                              t.clip_fraction, t.ref_kl.detach()}));
      ++count;
    }
  }
  if (reference_ && config_.ref_update_every > 0 && (progress.update + 1) % config_.ref_update_every == 0) {
    CopyToReference();
  }
  torch::Tensor m = (sums / std::max(1, count)).to(torch::kCPU);
  const float* a = m.data_ptr<float>();
  return std::vector<double>{a[0], a[1], a[2], a[3], a[4],
                             static_cast<double>(groups.size()),
                             static_cast<double>(B),
                             std_sum / static_cast<double>(groups.size()),
                             dropped,
                             lr};
}

}  // namespace fleet::learner
