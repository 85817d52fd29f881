#include "actor/router_policy.h"

#include <algorithm>
#include <utility>

#include "actor/policies.h"
#include "envs/registry.h"

namespace fleet::actor {

StatusOr<std::unique_ptr<RouterPolicy>> RouterPolicy::Create(const proto::Router& router,
                                                             const envs::EnvSpec& spec,
                                                             const PolicyChoice& choice) {
  if (router.env_id() != spec.id) {
    return InvalidArgumentError("the router was made for " + router.env_id() + ", not " + spec.id);
  }
  std::map<std::string, std::string> options(router.env_options().begin(), router.env_options().end());
  FLEET_ASSIGN_OR_RETURN(auto env, envs::MakeEnv(router.env_id(), options));
  auto* composite = dynamic_cast<envs::SequentialEnv*>(env.get());
  if (composite == nullptr) {
    return InvalidArgumentError("a router needs a composite env (phases); " + spec.id + " is not one");
  }
  // the same phases: the same spaces (bounds included) and a step limit that is the sum of
  // the phases' limits from one of them on (an env made with start_phase K plays the last
  // phases only), else a specialist would act in another phase's env, or write actions of
  // another width
  const envs::EnvSpec& own = composite->spec();
  auto same = [](const envs::Space& a, const envs::Space& b) {
    return a.FlatDim() == b.FlatDim() && a.low == b.low && a.high == b.high;
  };
  bool limit_fits = false;
  for (int k = composite->num_phases() - 1, tail = 0; k >= 0 && !limit_fits; --k) {
    tail += composite->phase_limit(k);
    limit_fits = tail == spec.max_episode_steps;
  }
  if (!same(own.observation_space, spec.observation_space) || !same(own.action_space, spec.action_space) ||
      !limit_fits) {
    return InvalidArgumentError("the router's " + spec.id + " (its env options) is not the env acted in: "
                                "observation " + own.observation_space.ToString() + " vs " +
                                spec.observation_space.ToString() + ", action " +
                                own.action_space.ToString() + " vs " + spec.action_space.ToString() +
                                ", step limit " + std::to_string(own.max_episode_steps) + " vs " +
                                std::to_string(spec.max_episode_steps));
  }
  std::unique_ptr<RouterPolicy> p(new RouterPolicy());
  env.release();
  p->layout_.reset(composite);
  const int phases = composite->num_phases();
  if (router.specialists_size() != phases) {
    return InvalidArgumentError("the router has " + std::to_string(router.specialists_size()) +
                                " specialists for the " + std::to_string(phases) + " phases of " +
                                spec.id);
  }
  for (int k = 0; k < phases; ++k) {
    const proto::PolicyWeights& w = router.specialists(k);
    const envs::EnvSpec& phase_spec = composite->phase_env(k).spec();
    const std::string what = "specialist " + std::to_string(k) + " (" + phase_spec.id + ")";
    if (w.has_transformer()) {
      return InvalidArgumentError(what + " is a Decision Transformer: a router's specialists must "
                                  "be memoryless (an actor-critic or a squashed Gaussian)");
    }
    if (w.has_router()) return InvalidArgumentError(what + " is itself a router");
    auto s = PolicyFromWeights(w, phase_spec, choice);
    if (!s.ok()) return InvalidArgumentError(what + " does not fit its phase: " + s.status().message());
    p->specialists_.push_back(std::move(*s));
  }
  p->rows_.resize(phases);
  return p;
}

void RouterPolicy::Act(std::span<const float> obs, int n, std::mt19937_64& rng,
                       std::span<float> actions, std::span<float>, std::span<float>) {
  const int phases = num_phases();
  const int D = layout_->obs_dim(), W = layout_->action_width();
  if (static_cast<int>(last_phase_.size()) != n) {
    last_phase_.assign(n, -1);
    row_switches_.assign(n, 0);
  }
  for (auto& r : rows_) r.clear();
  for (int i = 0; i < n; ++i) {
    // an observation with no phase set cannot come from the composite; phase 0 acts on it
    const int k = std::max(0, envs::SequentialEnv::PhaseOf(obs.data() + i * D, phases));
    rows_[k].push_back(i);
    if (last_phase_[i] >= 0 && last_phase_[i] != k) {
      ++switches_;
      ++row_switches_[i];
    }
    last_phase_[i] = k;
  }
  for (int k = 0; k < phases; ++k) {
    const int m = static_cast<int>(rows_[k].size());
    if (m == 0) continue;
    const envs::Env& env = layout_->phase_env(k);
    const int d = env.obs_dim(), aw = env.action_width();
    sub_obs_.resize(static_cast<size_t>(m) * d);
    sub_actions_.resize(static_cast<size_t>(m) * aw);
    scratch_.resize(2 * static_cast<size_t>(m));
    for (int j = 0; j < m; ++j) {
      const float* src = obs.data() + rows_[k][j] * D + phases + 1;
      std::copy(src, src + d, sub_obs_.begin() + j * d);
    }
    specialists_[k]->Act(sub_obs_, m, rng, sub_actions_, {scratch_.data(), size_t(m)},
                         {scratch_.data() + m, size_t(m)});
    for (int j = 0; j < m; ++j) {
      layout_->EncodeAction(k, sub_actions_.data() + j * aw, actions.data() + rows_[k][j] * W);
    }
  }
}

int64_t RouterPolicy::TakeSwitches(int row) {
  if (row < 0 || row >= static_cast<int>(row_switches_.size())) return 0;
  return std::exchange(row_switches_[row], 0);
}

void RouterPolicy::Observe(std::span<const float>, std::span<const uint8_t> episode_ended) {
  // a new episode starts with no specialist acting yet: its first is not a handover
  for (size_t i = 0; i < episode_ended.size() && i < last_phase_.size(); ++i) {
    if (episode_ended[i]) last_phase_[i] = -1;
  }
}

StatusOr<proto::PolicyWeights> MakeRouterWeights(const std::string& env_id,
                                                 const std::map<std::string, std::string>& options,
                                                 std::vector<proto::PolicyWeights> specialists) {
  proto::PolicyWeights w;
  proto::Router* r = w.mutable_router();
  r->set_env_id(env_id);
  for (const auto& [k, v] : options) (*r->mutable_env_options())[k] = v;
  for (auto& s : specialists) *r->add_specialists() = std::move(s);
  FLEET_ASSIGN_OR_RETURN(envs::EnvSpec spec, envs::GetSpec(env_id, options));
  FLEET_RETURN_IF_ERROR(RouterPolicy::Create(*r, spec, PolicyChoice{}).status());
  return w;
}

}  // namespace fleet::actor
