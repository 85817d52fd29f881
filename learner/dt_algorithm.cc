#include "learner/dt_algorithm.h"

#include <algorithm>

#include "learner/torch_runtime.h"
#include "proto/checkpoint.pb.h"

namespace fleet::learner {
namespace {

DecisionTransformer MakeModel(const DtConfig& c, const DtShape& s, uint64_t seed) {
  torch::manual_seed(seed);
  return DecisionTransformer(c, s);
}

}  // namespace

StatusOr<std::unique_ptr<DtAlgorithm>> DtAlgorithm::Create(const ExperimentConfig& config,
                                                           const envs::EnvSpec& spec,
                                                           const DatasetStats& dataset) {
  FLEET_ASSIGN_OR_RETURN(const AlgorithmInfo* info, FindAlgorithm("dt"));
  FLEET_RETURN_IF_ERROR(info->validate(config));
  DtConfig c;
  FLEET_RETURN_IF_ERROR(ReadLearnerSection(config, "dt", c));
  DtShape shape;
  shape.state_dim = spec.observation_space.FlatDim();
  shape.discrete = spec.action_space.is_discrete();
  shape.act_dim = shape.discrete ? static_cast<int>(spec.action_space.n) : spec.action_space.FlatDim();
  if (static_cast<int>(dataset.obs_mean.size()) != shape.state_dim) {
    return InvalidArgumentError("the dataset's observations do not match " + spec.id);
  }
  if (c.context_len > dataset.max_episode_len) {
    return InvalidArgumentError("config key 'learner.dt.context_len': " + std::to_string(c.context_len) +
                                " steps is longer than every episode of learner.dataset (the "
                                "longest has " + std::to_string(dataset.max_episode_len) + ")");
  }
  std::vector<float> mean(dataset.obs_mean.begin(), dataset.obs_mean.end());
  std::vector<float> std_dev(dataset.obs_std.begin(), dataset.obs_std.end());
  const float target = static_cast<float>(c.target_return != 0.0 ? c.target_return : dataset.best_return);
  return std::unique_ptr<DtAlgorithm>(new DtAlgorithm(info, spec, c, shape, std::move(mean),
                                                      std::move(std_dev), target,
                                                      static_cast<uint64_t>(config.run.seed),
                                                      config.learner.device));
}

DtAlgorithm::DtAlgorithm(const AlgorithmInfo* info, const envs::EnvSpec& spec, const DtConfig& c,
                         const DtShape& shape, std::vector<float> state_mean,
                         std::vector<float> state_std, float target_return, uint64_t seed,
                         const std::string& device)
    : info_(info),
      spec_(spec),
      config_(c),
      device_(ResolveDevice(device)),
      model_(MakeModel(c, shape, seed)),
      optimizer_(model_->parameters(),
                 torch::optim::AdamWOptions(c.learning_rate).weight_decay(c.weight_decay)),
      state_mean_(std::move(state_mean)),
      state_std_(std::move(state_std)),
      target_return_(target_return) {
  model_->to(device_);
}

std::string DtAlgorithm::Describe() const {
  return "Decision Transformer on " + spec_.id + " (" + std::to_string(config_.n_layer) +
         " layers, " + std::to_string(config_.n_head) + " heads, embedding " +
         std::to_string(config_.embed_dim) + ", context " + std::to_string(config_.context_len) +
         "), device " + device_.str();
}

const std::vector<MetricSpec>& DtAlgorithm::metrics() const {
  static const std::vector<MetricSpec> specs = {{"action_loss", "losses/action_loss"},
                                                {"learning_rate", "charts/learning_rate"},
                                                {"grad_norm", "losses/grad_norm"}};
  return specs;
}

DtAlgorithm::Inputs DtAlgorithm::Prepare(const WindowBatch& b) const {
  const int64_t B = b.batch, K = b.k, D = b.obs_dim;
  const DtShape& s = model_->shape();
  std::vector<float> states(b.observations);
  for (int64_t i = 0; i < B * K; ++i) {
    for (int64_t d = 0; d < D; ++d) {
      float& x = states[i * D + d];
      x = b.mask[i] ? (x - state_mean_[d]) / state_std_[d] : 0.0f;
    }
  }
  std::vector<float> rtg(b.returns_to_go);
  for (float& r : rtg) r /= static_cast<float>(config_.rtg_scale);
  std::vector<int64_t> steps(b.timesteps);
  for (int64_t& t : steps) t = std::clamp<int64_t>(t, 0, config_.max_episode_len - 1);
  std::vector<float> mask(b.mask.begin(), b.mask.end());
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  Inputs in;
  in.states = torch::from_blob(states.data(), {B, K, D}, f32).clone().to(device_);
  in.rtg = torch::from_blob(rtg.data(), {B, K}, f32).clone().to(device_);
  in.timesteps = torch::from_blob(steps.data(), {B, K}, torch::kInt64).clone().to(device_);
  in.mask = torch::from_blob(mask.data(), {B, K}, f32).clone().to(device_);
  if (s.discrete) {
    std::vector<int64_t> idx(b.actions.begin(), b.actions.end());
    torch::Tensor t = torch::from_blob(idx.data(), {B, K}, torch::kInt64).clone();
    in.targets = t.to(device_);
    in.actions = torch::one_hot(t, s.act_dim).to(torch::kFloat32).mul_(in.mask.cpu().unsqueeze(-1)).to(device_);
  } else {
    in.actions = torch::from_blob(const_cast<float*>(b.actions.data()), {B, K, int64_t{s.act_dim}}, f32)
                     .clone()
                     .to(device_);
    in.targets = in.actions;
  }
  return in;
}

torch::Tensor DtAlgorithm::Loss(const torch::Tensor& pred, const Inputs& in) const {
  const torch::Tensor present = in.mask.reshape({-1}) > 0;
  const int64_t A = pred.size(-1);
  if (model_->shape().discrete) {
    return torch::nn::functional::cross_entropy(pred.reshape({-1, A}).index({present}),
                                                in.targets.reshape({-1}).index({present}));
  }
  return (pred.reshape({-1, A}).index({present}) - in.targets.reshape({-1, A}).index({present}))
      .pow(2)
      .mean();
}

StatusOr<std::vector<double>> DtAlgorithm::Update(const WindowBatch& batch,
                                                  const UpdateProgress& progress) {
  const Inputs in = Prepare(batch);
  // linear warm-up (the official LambdaLR: min((step + 1) / warmup_steps, 1)).
  const double fraction =
      config_.warmup_steps > 0
          ? std::min(1.0, static_cast<double>(progress.update + 1) / config_.warmup_steps)
          : 1.0;
  const double lr = config_.learning_rate * fraction;
  for (auto& group : optimizer_.param_groups()) {
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
  }
  model_->train();
  const torch::Tensor pred = model_->forward(in.states, in.actions, in.rtg, in.timesteps, in.mask);
  const torch::Tensor loss = Loss(pred, in);
  optimizer_.zero_grad();
  loss.backward();
  const double grad_norm = torch::nn::utils::clip_grad_norm_(model_->parameters(), config_.grad_clip);
  optimizer_.step();
  return std::vector<double>{loss.item<double>(), lr, grad_norm};
}

proto::PolicyWeights DtAlgorithm::ExportPolicy(uint64_t version) {
  proto::PolicyWeights w;
  w.set_version(version);
  proto::DecisionTransformer* t = w.mutable_transformer();
  const DtShape& s = model_->shape();
  t->set_state_dim(s.state_dim);
  t->set_act_dim(s.act_dim);
  t->set_discrete(s.discrete);
  t->set_n_layer(config_.n_layer);
  t->set_n_head(config_.n_head);
  t->set_embed_dim(config_.embed_dim);
  t->set_context_len(config_.context_len);
  t->set_max_episode_len(config_.max_episode_len);
  t->set_activation(config_.activation);
  t->set_rtg_scale(static_cast<float>(config_.rtg_scale));
  t->set_target_return(target_return_);
  t->mutable_state_mean()->Add(state_mean_.begin(), state_mean_.end());
  t->mutable_state_std()->Add(state_std_.begin(), state_std_.end());
  for (const auto& [name, tensor] : model_->NamedTensors()) {
    proto::Tensor* out = t->add_tensors();
    out->set_name(name);
    const torch::Tensor c = tensor.detach().to(torch::kCPU).contiguous();
    for (int64_t d : c.sizes()) out->add_shape(static_cast<uint32_t>(d));
    out->mutable_data()->Add(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  }
  return w;
}

Status DtAlgorithm::Save(const std::string& dir, const std::string& prefix, std::string* state) {
  FLEET_RETURN_IF_ERROR(SaveTorchState(dir, prefix, "Decision Transformer",
                                       {{"model", model_.get()}}, optimizer_));
  proto::DtState s;
  s.mutable_state_mean()->Add(state_mean_.begin(), state_mean_.end());
  s.mutable_state_std()->Add(state_std_.begin(), state_std_.end());
  s.set_target_return(target_return_);
  *state = s.SerializeAsString();
  return OkStatus();
}

Status DtAlgorithm::Restore(const std::string& dir, const std::string& state) {
  proto::DtState s;
  if (!s.ParseFromString(state)) return DataLossError("the checkpoint's Decision Transformer state is unparseable");
  if (s.state_mean_size() != static_cast<int>(state_mean_.size()) ||
      s.state_std_size() != static_cast<int>(state_std_.size())) {
    return DataLossError("the checkpoint's state statistics have " + std::to_string(s.state_mean_size()) +
                         " dimensions, this run's dataset " + std::to_string(state_mean_.size()));
  }
  FLEET_RETURN_IF_ERROR(
      LoadTorchState(dir, "Decision Transformer", {{"model", model_.get()}}, optimizer_));
  // the statistics the model was trained with, whatever the dataset now holds.
  state_mean_.assign(s.state_mean().begin(), s.state_mean().end());
  state_std_.assign(s.state_std().begin(), s.state_std().end());
  target_return_ = s.target_return();
  return OkStatus();
}

void DtAlgorithm::Reseed(uint64_t seed) { torch::manual_seed(seed); }

}  // namespace fleet::learner
