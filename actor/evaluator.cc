#include "actor/evaluator.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "actor/router_policy.h"
#include "envs/composite/sequential_env.h"
#include "envs/registry.h"

namespace fleet::actor {

Json EvalReport::ToJson() const {
  Json j{{"returns", returns}, {"lengths", lengths}, {"seconds", seconds}, {"steps", steps},
         {"control_effort", control_effort}, {"act_seconds", act_seconds}};
  if (!phase_names.empty()) {
    j["phase_names"] = phase_names;
    j["phase_returns"] = phase_returns;
    j["phase_cleared"] = phase_cleared;
    j["success"] = success;
    j["switches"] = switches;
  }
  return j;
}

StatusOr<EvalReport> EvalReport::FromJson(const Json& j, const std::string& what) {
  EvalReport r;
  FLEET_ASSIGN_OR_RETURN(r.returns, JsonMember<std::vector<double>>(j, "returns", what));
  FLEET_ASSIGN_OR_RETURN(r.lengths, JsonMember<std::vector<int64_t>>(j, "lengths", what));
  FLEET_ASSIGN_OR_RETURN(r.seconds, JsonMember<double>(j, "seconds", what));
  FLEET_ASSIGN_OR_RETURN(r.steps, JsonMember<int64_t>(j, "steps", what));
  if (r.returns.size() != r.lengths.size()) return InvalidArgumentError(what + ": returns and lengths differ in count");
  FLEET_ASSIGN_OR_RETURN(r.control_effort, JsonMember<std::vector<double>>(j, "control_effort", what));
  FLEET_ASSIGN_OR_RETURN(r.act_seconds, JsonMember<double>(j, "act_seconds", what));
  if (r.control_effort.size() != r.returns.size()) {
    return InvalidArgumentError(what + ": control_effort and returns differ in count");
  }
  if (j.contains("phase_names")) {
    FLEET_ASSIGN_OR_RETURN(r.phase_names, JsonMember<std::vector<std::string>>(j, "phase_names", what));
    FLEET_ASSIGN_OR_RETURN(r.phase_returns,
                           JsonMember<std::vector<std::vector<double>>>(j, "phase_returns", what));
    FLEET_ASSIGN_OR_RETURN(r.phase_cleared, JsonMember<std::vector<std::vector<int>>>(j, "phase_cleared", what));
    FLEET_ASSIGN_OR_RETURN(r.switches, JsonMember<std::vector<int64_t>>(j, "switches", what));
    FLEET_ASSIGN_OR_RETURN(r.success, JsonMember<std::vector<int>>(j, "success", what));
    const size_t n = r.returns.size(), p = r.phase_names.size();
    bool ok = r.phase_returns.size() == n && r.phase_cleared.size() == n && r.switches.size() == n &&
              r.success.size() == n;
    for (size_t e = 0; ok && e < n; ++e) ok = r.phase_returns[e].size() == p && r.phase_cleared[e].size() == p;
    if (!ok) return InvalidArgumentError(what + ": the phase records do not match the episodes and phases");
  }
  return r;
}

StatusOr<EvalReport> EvaluatePolicy(const EvalRequest& q) {
  if (q.episodes < 1) return InvalidArgumentError("evaluation needs at least one episode");
  const auto t0 = std::chrono::steady_clock::now();
  const int n = std::max(1, std::min(q.num_envs, q.episodes));
  std::vector<std::unique_ptr<envs::Env>> envs;
  for (int i = 0; i < n; ++i) {
    FLEET_ASSIGN_OR_RETURN(auto env, envs::MakeEnv(q.env_id, q.env_options));
    envs.push_back(std::move(env));
  }
  const envs::EnvSpec& spec = envs[0]->spec();
  FLEET_ASSIGN_OR_RETURN(auto policy, LoadPolicyFile(q.policy_file, spec, q.choice));
  const int D = envs[0]->obs_dim(), W = envs[0]->action_width();
  const auto& as = spec.action_space;
  std::vector<float> obs(static_cast<size_t>(n) * D), actions(static_cast<size_t>(n) * W),
      env_action(W), logp(n), values(n), rewards(n, 0.0f);
  std::vector<uint8_t> ended(n, 0);
  // slot i plays episodes i, i + n, i + 2n, ... of this request.
  std::vector<int> episode(n), next(n);
  std::vector<double> total(n, 0.0);
  std::vector<int64_t> length(n, 0);
  EvalReport r;
  r.returns.assign(q.episodes, 0.0);
  r.lengths.assign(q.episodes, 0);
  r.control_effort.assign(q.episodes, 0.0);
  std::vector<double> effort(n, 0.0);
  const auto* composite = dynamic_cast<const envs::SequentialEnv*>(envs[0].get());
  auto* router = dynamic_cast<RouterPolicy*>(policy.get());
  if (composite != nullptr) {
    for (int p = 0; p < composite->num_phases(); ++p) r.phase_names.push_back(composite->phase_spec(p).name);
    r.phase_returns.assign(q.episodes, std::vector<double>(r.phase_names.size(), 0.0));
    r.phase_cleared.assign(q.episodes, std::vector<int>(r.phase_names.size(), 0));
    r.switches.assign(q.episodes, 0);
    r.success.assign(q.episodes, 0);
  }
  int remaining = q.episodes;
  for (int i = 0; i < n; ++i) {
    episode[i] = i;
    envs[i]->Reset(q.seed + static_cast<uint64_t>(q.first_episode + i), {obs.data() + i * D, size_t(D)});
  }
  std::mt19937_64 rng(q.seed);
  while (remaining > 0) {
    const auto a0 = std::chrono::steady_clock::now();
    policy->Act(obs, n, rng, actions, logp, values);
    r.act_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - a0).count();
    for (int i = 0; i < n; ++i) {
      ended[i] = 0;
      rewards[i] = 0.0f;
      if (episode[i] < 0) continue;  // idle: no episode left for this slot
      for (int j = 0; j < W; ++j) {
        env_action[j] = as.is_discrete() ? actions[i * W + j]
                                         : std::clamp(actions[i * W + j], static_cast<float>(as.low[j]),
                                                      static_cast<float>(as.high[j]));
      }
      if (!as.is_discrete() && composite == nullptr) {  // a composite keeps its own
        for (int j = 0; j < W; ++j) effort[i] += static_cast<double>(env_action[j]) * env_action[j];
      }
      FLEET_ASSIGN_OR_RETURN(auto step, envs[i]->Step(env_action, {obs.data() + i * D, size_t(D)}));
      total[i] += step.reward;
      ++length[i];
      ++r.steps;
      rewards[i] = static_cast<float>(step.reward);
      if (!step.terminated && !step.truncated) continue;
      ended[i] = 1;
      r.returns[episode[i]] = total[i];
      r.lengths[episode[i]] = length[i];
      r.control_effort[episode[i]] = effort[i];
      effort[i] = 0.0;
      if (composite != nullptr) {
        const auto& done = dynamic_cast<const envs::SequentialEnv&>(*envs[i]).last_episode();
        // what the phases' envs got, not the composite's unused entries
        for (const auto& ph : done.phases) r.control_effort[episode[i]] += ph.control_effort;
        for (size_t p = 0; p < r.phase_names.size(); ++p) {
          r.phase_returns[episode[i]][p] = done.phases[p].reward;
          r.phase_cleared[episode[i]][p] = done.phases[p].cleared ? 1 : 0;
        }
        r.switches[episode[i]] = router != nullptr ? router->TakeSwitches(i) : 0;
        r.success[episode[i]] = done.success ? 1 : 0;
      }
      --remaining;
      total[i] = 0.0;
      length[i] = 0;
      episode[i] += n;
      if (episode[i] >= q.episodes) {
        episode[i] = -1;
        continue;
      }
      envs[i]->Reset(q.seed + static_cast<uint64_t>(q.first_episode + episode[i]),
                     {obs.data() + i * D, size_t(D)});
    }
    policy->Observe(rewards, ended);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace fleet::actor
