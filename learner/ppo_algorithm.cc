#include "learner/ppo_algorithm.h"

#include <algorithm>

#include "learner/torch_runtime.h"
#include "learner/weights.h"
#include "proto/checkpoint.pb.h"

namespace fleet::learner {
namespace {

SegmentView ViewOf(const proto::TrajectoryChunk& c) {
  SegmentView s;
  s.num_steps = static_cast<int>(c.num_steps());
  s.num_envs = static_cast<int>(c.num_envs());
  s.observations = {c.observations().data(), static_cast<size_t>(c.observations_size())};
  s.discrete_actions = {c.discrete_actions().data(), static_cast<size_t>(c.discrete_actions_size())};
  s.continuous_actions = {c.continuous_actions().data(),
                          static_cast<size_t>(c.continuous_actions_size())};
  s.rewards = {c.rewards().data(), static_cast<size_t>(c.rewards_size())};
  s.terminated = {reinterpret_cast<const uint8_t*>(c.terminated().data()), c.terminated().size()};
  s.truncated = {reinterpret_cast<const uint8_t*>(c.truncated().data()), c.truncated().size()};
  s.logprobs = {c.logprobs().data(), static_cast<size_t>(c.logprobs_size())};
  s.next_observations = {c.next_observations().data(),
                         static_cast<size_t>(c.next_observations_size())};
  s.final_indices = {c.final_indices().data(), static_cast<size_t>(c.final_indices_size())};
  s.final_observations = {c.final_observations().data(),
                          static_cast<size_t>(c.final_observations_size())};
  return s;
}

void ToProto(const RunningMeanStd& rms, proto::RunningStatsState* out) {
  out->mutable_mean()->Add(rms.mean().begin(), rms.mean().end());
  out->mutable_var()->Add(rms.var().begin(), rms.var().end());
  out->set_count(rms.count());
}

Status FromProto(const proto::RunningStatsState& s, const char* what, RunningMeanStd& rms) {
  if (s.mean_size() != rms.dim() || s.var_size() != rms.dim()) {
    return DataLossError(std::string("checkpoint ") + what + " statistics have " +
                         std::to_string(s.mean_size()) + " means and " +
                         std::to_string(s.var_size()) + " variances, this run has " +
                         std::to_string(rms.dim()) + " dimensions");
  }
  if (!(s.count() > 0)) {
    return DataLossError(std::string("checkpoint ") + what + " statistics have count " +
                         std::to_string(s.count()) + " (must be > 0)");
  }
  rms.Set({s.mean().begin(), s.mean().end()}, {s.var().begin(), s.var().end()}, s.count());
  return OkStatus();
}

}  // namespace

StatusOr<std::unique_ptr<PpoAlgorithm>> PpoAlgorithm::Create(const ExperimentConfig& config,
                                                              const envs::EnvSpec& spec) {
  FLEET_ASSIGN_OR_RETURN(const AlgorithmInfo* info, FindAlgorithm("ppo"));
  FLEET_RETURN_IF_ERROR(info->validate(config));
  MlpConfig mlp;
  FLEET_RETURN_IF_ERROR(ReadLearnerSection(config, "network", mlp));
  PpoConfig ppo;
  FLEET_RETURN_IF_ERROR(ReadLearnerSection(config, "ppo", ppo));
  const NetworkOptions net = NetworkOptionsFor(spec, mlp);
  if (net.action_mask_offset >= 0 && ppo.norm_obs) {
    return InvalidArgumentError("learner.ppo.norm_obs: " + spec.id +
                                "'s observation holds its action mask, which normalization "
                                "would change; set norm_obs: false");
  }
  return std::unique_ptr<PpoAlgorithm>(
      new PpoAlgorithm(info, spec, net, ppo, static_cast<uint64_t>(config.run.seed),
                       config.learner.device, config.store.max_policy_lag));
}

PpoAlgorithm::PpoAlgorithm(const AlgorithmInfo* info, const envs::EnvSpec& spec,
                           const NetworkOptions& net, const PpoConfig& config, uint64_t seed,
                           const std::string& device, int max_policy_lag)
    : info_(info),
      spec_(spec),
      config_(config),
      ppo_(net, config, seed, device),
      reward_scaler_(config.gamma, static_cast<float>(config.clip_reward)),
      max_policy_lag_(max_policy_lag) {}

std::string PpoAlgorithm::Describe() const {
  return "PPO on " + spec_.id + " (" + spec_.action_space.ToString() + "), device " +
         ppo_.device().str();
}

const std::vector<MetricSpec>& PpoAlgorithm::metrics() const {
  // CleanRL's TensorBoard tags where it has them.
  static const std::vector<MetricSpec> specs = {
      {"policy_loss", "losses/policy_loss"},   {"value_loss", "losses/value_loss"},
      {"entropy", "losses/entropy"},           {"approx_kl", "losses/approx_kl"},
      {"clip_fraction", "losses/clipfrac"},    {"explained_variance", "losses/explained_variance"},
      {"learning_rate", "charts/learning_rate"}};
  return specs;
}

StatusOr<std::vector<double>> PpoAlgorithm::Update(RolloutBatch& batch,
                                                   const UpdateProgress& progress) {
  if (batch.chunks.empty()) return InvalidArgumentError("PPO update without chunks");
  for (const auto& c : batch.chunks) {
    if (c.logprobs_size() != c.rewards_size()) {
      return InvalidArgumentError("PPO needs the behaviour policy's log-probs; chunk " +
                                  std::to_string(c.sequence()) + " of actor " +
                                  std::to_string(c.actor_id()) + " has none");
    }
  }
  if (config_.norm_reward) {
    for (auto& c : batch.chunks) {
      reward_scaler_.Scale(c.actor_id(), static_cast<int>(c.num_steps()),
                           static_cast<int>(c.num_envs()),
                           {c.mutable_rewards()->mutable_data(), static_cast<size_t>(c.rewards_size())},
                           {reinterpret_cast<const uint8_t*>(c.terminated().data()), c.terminated().size()},
                           {reinterpret_cast<const uint8_t*>(c.truncated().data()), c.truncated().size()});
    }
  }
  std::vector<SegmentView> segments;
  segments.reserve(batch.chunks.size());
  for (const auto& c : batch.chunks) {
    segments.push_back(ViewOf(c));
    if (auto it = shipped_obs_rms_.find(c.policy_version()); it != shipped_obs_rms_.end()) {
      segments.back().obs_rms = &it->second;
    }
  }
  const double lr_fraction =
      config_.anneal_lr ? std::max(0.0, 1.0 - static_cast<double>(progress.update) /
                                                  static_cast<double>(progress.num_updates))
                        : 1.0;
  const UpdateStats st = ppo_.Update(segments, lr_fraction);
  return std::vector<double>{st.policy_loss, st.value_loss,         st.entropy,
                             st.approx_kl,   st.clip_fraction,      st.explained_variance,
                             st.learning_rate};
}

proto::PolicyWeights PpoAlgorithm::ExportPolicy(uint64_t version) {
  proto::PolicyWeights w = ExportWeights(ppo_.model(), version);
  if (const RunningMeanStd* rms = ppo_.obs_rms()) {
    // what actors on this version normalize with; the update normalizes their chunks alike.
    shipped_obs_rms_.insert_or_assign(version, *rms);
    const size_t keep = static_cast<size_t>(max_policy_lag_) + 2;
    while (shipped_obs_rms_.size() > keep) shipped_obs_rms_.erase(shipped_obs_rms_.begin());
    auto* n = w.mutable_obs_normalizer();
    n->mutable_mean()->Add(rms->mean().begin(), rms->mean().end());
    n->mutable_var()->Add(rms->var().begin(), rms->var().end());
    n->set_count(rms->count());
    n->set_clip(ppo_.clip_obs());
  }
  return w;
}

Status PpoAlgorithm::Save(const std::string& dir, const std::string& prefix, std::string* state) {
  FLEET_RETURN_IF_ERROR(
      SaveTorchState(dir, prefix, "PPO model", {{"model", ppo_.model().get()}}, ppo_.optimizer()));
  proto::PpoState s;
  ToProto(ppo_.mutable_obs_rms(), s.mutable_obs_rms());
  ToProto(reward_scaler_.stats(), s.mutable_reward_rms());
  *state = s.SerializeAsString();
  return OkStatus();
}

Status PpoAlgorithm::Restore(const std::string& dir, const std::string& state) {
  proto::PpoState s;
  if (!s.ParseFromString(state)) return DataLossError("the checkpoint's PPO state is unparseable");
  if (!s.has_obs_rms() || !s.has_reward_rms()) {
    return DataLossError("the checkpoint's PPO state lacks its normalizer statistics");
  }
  FLEET_RETURN_IF_ERROR(
      LoadTorchState(dir, "PPO model", {{"model", ppo_.model().get()}}, ppo_.optimizer()));
  FLEET_RETURN_IF_ERROR(FromProto(s.obs_rms(), "observation", ppo_.mutable_obs_rms()));
  return FromProto(s.reward_rms(), "reward", reward_scaler_.mutable_stats());
}

void PpoAlgorithm::Reseed(uint64_t seed) { torch::manual_seed(seed); }

}  // namespace fleet::learner
