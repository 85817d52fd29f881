#include "actor/policies.h"

#include <cmath>
#include <fstream>
#include <vector>

namespace fleet::actor {

std::vector<std::string> PolicyOutputs::Columns() const {
  std::vector<std::string> c;
  if (logprob) c.push_back("infos/logprob");
  if (value) c.push_back("infos/value");
  return c;
}

void ActorCriticPolicy::Act(std::span<const float> obs, int n, std::mt19937_64& rng,
                            std::span<float> actions, std::span<float> logprobs,
                            std::span<float> values) {
  if (deterministic_) {
    mlp_.ActGreedy(obs, n, actions, values);
  } else {
    mlp_.Act(obs, n, rng, actions, logprobs, values);
  }
}

void RandomPolicy::Act(std::span<const float> obs, int n, std::mt19937_64& rng,
                       std::span<float> actions, std::span<float> logprobs, std::span<float>) {
  double logp = 0.0;
  if (space_.is_discrete() && mask_offset_ >= 0) {
    std::vector<int> legal;
    for (int e = 0; e < n; ++e) {
      const float* m = obs.data() + static_cast<size_t>(e) * obs_dim_ + mask_offset_;
      legal.clear();
      for (int j = 0; j < space_.n; ++j) {
        if (m[j] > 0.5f) legal.push_back(j);
      }
      if (legal.empty()) {  // nothing legal: any action, as without a mask
        for (int j = 0; j < space_.n; ++j) legal.push_back(j);
      }
      std::uniform_int_distribution<size_t> pick(0, legal.size() - 1);
      actions[e] = static_cast<float>(legal[pick(rng)]);
      logprobs[e] = static_cast<float>(-std::log(static_cast<double>(legal.size())));
    }
    return;
  }
  if (space_.is_discrete()) {
    std::uniform_int_distribution<int64_t> pick(0, space_.n - 1);
    for (int e = 0; e < n; ++e) actions[e] = static_cast<float>(pick(rng));
    logp = -std::log(static_cast<double>(space_.n));
  } else {
    const int w = space_.FlatDim();
    for (int j = 0; j < w; ++j) {
      std::uniform_real_distribution<double> u(space_.low[j], space_.high[j]);
      for (int e = 0; e < n; ++e) actions[e * w + j] = static_cast<float>(u(rng));
      logp -= std::log(space_.high[j] - space_.low[j]);
    }
  }
  std::fill(logprobs.begin(), logprobs.begin() + n, static_cast<float>(logp));
}

void ScriptedPolicy::Act(std::span<const float> obs, int n, std::mt19937_64&,
                         std::span<float> actions, std::span<float>, std::span<float>) {
  for (int e = 0; e < n; ++e) controller_(obs.data() + e * obs_dim_, actions.data() + e * action_width_);
}

StatusOr<std::unique_ptr<Policy>> PolicyFromWeights(const proto::PolicyWeights& weights,
                                                    const envs::EnvSpec& spec, PolicyChoice choice) {
  const auto& as = spec.action_space;
  const bool discrete = as.is_discrete();
  if (weights.has_transformer()) {
    FLEET_ASSIGN_OR_RETURN(DtModel model, DtModel::FromProto(weights.transformer()));
    const int act = discrete ? static_cast<int>(as.n) : as.FlatDim();
    if (model.state_dim() != spec.observation_space.FlatDim() || model.act_dim() != act ||
        model.discrete() != discrete) {
      return InvalidArgumentError("weights: the transformer's state and action sizes (" +
                                  std::to_string(model.state_dim()) + ", " +
                                  std::to_string(model.act_dim()) + ") are not the env's");
    }
    return std::unique_ptr<Policy>(
        new DtPolicy(std::move(model), weights.version(), choice.target_return));
  }
  if (weights.has_router()) {
    FLEET_ASSIGN_OR_RETURN(auto router, RouterPolicy::Create(weights.router(), spec, choice));
    return std::unique_ptr<Policy>(std::move(router));
  }
  if (weights.uniform_random()) return std::unique_ptr<Policy>(new RandomPolicy(spec, weights.version()));
  if (weights.has_squashed_gaussian()) {
    if (discrete) return InvalidArgumentError("weights: a squashed Gaussian needs a continuous action space");
    FLEET_ASSIGN_OR_RETURN(SquashedGaussianPolicy sg,
                           SquashedGaussianPolicy::FromProto(weights, spec.observation_space.FlatDim(),
                                                             as.FlatDim(), choice.deterministic));
    return std::unique_ptr<Policy>(new SquashedGaussianPolicy(std::move(sg)));
  }
  FLEET_ASSIGN_OR_RETURN(MlpPolicy mlp,
                         MlpPolicy::FromProto(weights, spec.observation_space.FlatDim(),
                                              discrete ? static_cast<int>(as.n) : as.FlatDim(),
                                              discrete, spec.action_mask_offset));
  mlp.set_noise_hold(choice.noise_hold_steps);
  return std::unique_ptr<Policy>(new ActorCriticPolicy(std::move(mlp), choice.deterministic));
}

StatusOr<proto::PolicyWeights> ReadPolicyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot read the policy file '" + path + "'");
  proto::PolicyWeights w;
  if (!w.ParseFromIstream(&in)) return DataLossError("'" + path + "' is not a policy file");
  return w;
}

StatusOr<std::unique_ptr<Policy>> LoadPolicyFile(const std::string& path,
                                                 const envs::EnvSpec& spec, PolicyChoice choice) {
  FLEET_ASSIGN_OR_RETURN(proto::PolicyWeights w, ReadPolicyFile(path));
  auto p = PolicyFromWeights(w, spec, choice);
  if (!p.ok()) {
    return InvalidArgumentError("'" + path + "' does not fit " + spec.id + ": " + p.status().message());
  }
  return p;
}

namespace {

int64_t LayerSize(const proto::Layer& l) { return l.weight_size() + l.bias_size(); }

int64_t MlpSize(const proto::Mlp& m) {
  int64_t n = 0;
  for (const auto& l : m.layers()) n += LayerSize(l);
  return n;
}

}  // namespace

int64_t ActingParameterCount(const proto::PolicyWeights& w) {
  if (w.has_router()) {
    int64_t n = 0;
    for (const auto& s : w.router().specialists()) n += ActingParameterCount(s);
    return n;
  }
  if (w.has_transformer()) {
    int64_t n = 0;
    for (const auto& t : w.transformer().tensors()) {
      int64_t size = 1;
      for (uint32_t d : t.shape()) size *= d;
      n += size;
    }
    return n;
  }
  if (w.has_squashed_gaussian()) {
    const auto& sg = w.squashed_gaussian();
    return MlpSize(sg.trunk()) + LayerSize(sg.mean()) + LayerSize(sg.log_std());
  }
  if (w.uniform_random()) return 0;
  return MlpSize(w.actor()) + w.log_std_size();
}

StatusOr<std::unique_ptr<Policy>> MakeCollectPolicy(const CollectSection& collect,
                                                    const envs::EnvSpec& spec) {
  if (collect.policy == "random") return std::unique_ptr<Policy>(new RandomPolicy(spec));
  if (collect.policy == "scripted") {
    auto controller = envs::GetScriptedController(spec.id);
    if (!controller.ok()) {
      return InvalidArgumentError("collect.policy 'scripted': " + controller.status().message());
    }
    return std::unique_ptr<Policy>(new ScriptedPolicy(
        *controller, spec.observation_space.FlatDim(),
        spec.action_space.is_discrete() ? 1 : spec.action_space.FlatDim()));
  }
  if (collect.policy == "checkpoint") {
    return LoadPolicyFile(collect.checkpoint, spec, {collect.deterministic, collect.target_return});
  }
  return InvalidArgumentError("collect.policy '" + collect.policy + "' is not a policy kind");
}

StatusOr<PolicyOutputs> CollectPolicyOutputs(const CollectSection& collect) {
  if (collect.policy == "random") return PolicyOutputs{true, false};
  if (collect.policy == "checkpoint") {
    FLEET_ASSIGN_OR_RETURN(proto::PolicyWeights w, ReadPolicyFile(collect.checkpoint));
    if (w.has_transformer() || w.has_router()) return PolicyOutputs{};  // no critic
    return PolicyOutputs{!collect.deterministic, true};
  }
  return PolicyOutputs{};
}

}  // namespace fleet::actor
