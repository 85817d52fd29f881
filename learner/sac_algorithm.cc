#include "learner/sac_algorithm.h"

#include <cmath>

#include "learner/torch_runtime.h"
#include "proto/checkpoint.pb.h"

namespace fleet::learner {
namespace {

void ExportLayer(torch::nn::Linear& linear, proto::Layer* l) {
  const torch::Tensor w = linear->weight.detach().to(torch::kCPU).contiguous();
  const torch::Tensor b = linear->bias.detach().to(torch::kCPU).contiguous();
  l->set_out_dim(static_cast<uint32_t>(w.size(0)));
  l->set_in_dim(static_cast<uint32_t>(w.size(1)));
  l->mutable_weight()->Add(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
  l->mutable_bias()->Add(b.data_ptr<float>(), b.data_ptr<float>() + b.numel());
}

void AddAll(const torch::Tensor& t, google::protobuf::RepeatedField<float>* out) {
  const torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
  out->Add(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

}  // namespace

proto::PolicyWeights ExportSquashedGaussian(SacActor& actor, uint64_t version) {
  proto::PolicyWeights w;
  w.set_version(version);
  proto::SquashedGaussian* g = w.mutable_squashed_gaussian();
  g->mutable_trunk()->set_activation(proto::ACTIVATION_RELU);
  for (torch::nn::Linear layer : actor->trunk()->layers()) ExportLayer(layer, g->mutable_trunk()->add_layers());
  ExportLayer(actor->mean_head(), g->mutable_mean());
  ExportLayer(actor->log_std_head(), g->mutable_log_std());
  g->set_log_std_min(static_cast<float>(kSacLogStdMin));
  g->set_log_std_max(static_cast<float>(kSacLogStdMax));
  AddAll(actor->action_scale(), g->mutable_action_scale());
  AddAll(actor->action_bias(), g->mutable_action_bias());
  return w;
}

StatusOr<std::unique_ptr<SacAlgorithm>> SacAlgorithm::Create(const ExperimentConfig& config,
                                                              const envs::EnvSpec& spec) {
  FLEET_ASSIGN_OR_RETURN(const AlgorithmInfo* info, FindAlgorithm("sac"));
  FLEET_RETURN_IF_ERROR(info->validate(config));
  SacConfig sac;
  FLEET_RETURN_IF_ERROR(ReadLearnerSection(config, "sac", sac));
  const envs::Space& as = spec.action_space;
  if (as.is_discrete()) {
    return InvalidArgumentError("learner.algo sac needs a continuous action space; " + spec.id +
                                "'s is " + as.ToString());
  }
  std::vector<float> low, high;
  for (size_t i = 0; i < as.low.size(); ++i) {
    if (!std::isfinite(as.low[i]) || !std::isfinite(as.high[i])) {
      return InvalidArgumentError("learner.algo sac squashes actions into the action bounds; " +
                                  spec.id + "'s action space " + as.ToString() + " is unbounded");
    }
    low.push_back(static_cast<float>(as.low[i]));
    high.push_back(static_cast<float>(as.high[i]));
  }
  return std::unique_ptr<SacAlgorithm>(new SacAlgorithm(info, spec, sac, low, high,
                                                        static_cast<uint64_t>(config.run.seed),
                                                        config.learner.device));
}

SacAlgorithm::SacAlgorithm(const AlgorithmInfo* info, const envs::EnvSpec& spec,
                           const SacConfig& config, std::vector<float> low,
                           std::vector<float> high, uint64_t seed, const std::string& device)
    : info_(info),
      spec_(spec),
      config_(config),
      sac_(spec.observation_space.FlatDim(), std::move(low), std::move(high), config, seed, device) {}

std::string SacAlgorithm::Describe() const {
  return "SAC on " + spec_.id + " (" + spec_.action_space.ToString() + "), batch " +
         std::to_string(config_.batch_size) + ", device " + sac_.device().str();
}

const std::vector<MetricSpec>& SacAlgorithm::metrics() const {
  // CleanRL's TensorBoard tags.
  static const std::vector<MetricSpec> specs = {
      {"qf1_loss", "losses/qf1_loss"},     {"qf2_loss", "losses/qf2_loss"},
      {"qf1_values", "losses/qf1_values"}, {"qf2_values", "losses/qf2_values"},
      {"actor_loss", "losses/actor_loss"}, {"alpha", "losses/alpha"},
      {"alpha_loss", "losses/alpha_loss"}};
  return specs;
}

ReplayPlan SacAlgorithm::replay_plan() const {
  return {config_.batch_size, config_.publish_every, config_.log_every};
}

StatusOr<std::vector<double>> SacAlgorithm::Update(const replay::TransitionBatch& batch,
                                                   const UpdateProgress&) {
  FLEET_ASSIGN_OR_RETURN(SacStepMetrics m, sac_.Update(batch));
  if (m.policy_updated) last_policy_step_ = m;
  return std::vector<double>{m.qf1_loss,  m.qf2_loss, m.qf1_value,
                             m.qf2_value, last_policy_step_.actor_loss, m.alpha,
                             last_policy_step_.alpha_loss};
}

proto::PolicyWeights SacAlgorithm::ExportPolicy(uint64_t version) {
  if (sac_.steps() == 0) {  // the warm-up: uniform random actions
    proto::PolicyWeights w;
    w.set_version(version);
    w.set_uniform_random(true);
    return w;
  }
  return ExportSquashedGaussian(sac_.actor(), version);
}

namespace {

const char* kExtraFile = "sac_extra.pt";

}  // namespace

NamedModules SacAlgorithm::Modules() {
  return {{"actor", sac_.actor().get()},
          {"qf1", sac_.qf1().get()},
          {"qf2", sac_.qf2().get()},
          {"qf1_target", sac_.qf1_target().get()},
          {"qf2_target", sac_.qf2_target().get()}};
}

Status SacAlgorithm::Save(const std::string& dir, const std::string& prefix, std::string* state) {
  FLEET_RETURN_IF_ERROR(SaveTorchState(dir, prefix, "SAC networks",
                                       Modules(),
                                       sac_.q_optimizer()));
  try {
    torch::serialize::OutputArchive a;
    torch::serialize::OutputArchive actor_opt, alpha_opt;
    sac_.actor_optimizer().save(actor_opt);
    a.write("actor_optimizer", actor_opt);
    if (torch::optim::Adam* opt = sac_.alpha_optimizer()) {
      opt->save(alpha_opt);
      a.write("alpha_optimizer", alpha_opt);
    }
    a.write("log_alpha", sac_.log_alpha().detach().to(torch::kCPU));
    a.save_to(dir + "/" + prefix + kExtraFile);
  } catch (const c10::Error& e) {
    return UnavailableError("cannot write SAC's optimizers in " + dir + ": " + e.what_without_backtrace());
  }
  proto::SacState s;
  s.set_steps(sac_.steps());
  *state = s.SerializeAsString();
  return OkStatus();
}

Status SacAlgorithm::Restore(const std::string& dir, const std::string& state) {
  proto::SacState s;
  if (!s.ParseFromString(state)) return DataLossError("the checkpoint's SAC state is unparseable");
  FLEET_RETURN_IF_ERROR(LoadTorchState(dir, "SAC networks",
                                       Modules(),
                                       sac_.q_optimizer()));
  try {
    torch::serialize::InputArchive a, actor_opt, alpha_opt;
    a.load_from(dir + "/" + kExtraFile);
    a.read("actor_optimizer", actor_opt);
    sac_.actor_optimizer().load(actor_opt);
    if (torch::optim::Adam* opt = sac_.alpha_optimizer()) {
      a.read("alpha_optimizer", alpha_opt);
      opt->load(alpha_opt);
    }
    torch::Tensor log_alpha;
    a.read("log_alpha", log_alpha);
    torch::NoGradGuard no_grad;
    sac_.log_alpha().copy_(log_alpha.to(sac_.log_alpha().device()));
  } catch (const c10::Error& e) {
    return DataLossError("cannot load SAC's optimizers in " + dir + ": " + e.what_without_backtrace());
  }
  sac_.set_steps(s.steps());
  return OkStatus();
}

void SacAlgorithm::Reseed(uint64_t seed) { torch::manual_seed(seed); }

}  // namespace fleet::learner
