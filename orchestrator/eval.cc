#include "orchestrator/eval.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "actor/policies.h"
#include "learner/checkpoint.h"
#include "common/experiment_config.h"
#include "envs/registry.h"

namespace fleet::orchestrator {
namespace {

namespace fs = std::filesystem;

struct Stats {
  double mean, std;
};

Stats MeanStd(const std::vector<double>& xs) {
  double m = 0, v = 0;
  for (double x : xs) m += x;
  m /= xs.size();
  for (double x : xs) v += (x - m) * (x - m);
  return {m, std::sqrt(v / xs.size())};
}

}  // namespace

StatusOr<EvalResult> Evaluate(const EvalOptions& o) {
  if (o.episodes < 1) return InvalidArgumentError("--episodes must be >= 1");
  fs::path pb = o.checkpoint;
  std::map<std::string, std::string> env_options;
  std::string env_id = o.env_id;
  if (fs::is_directory(pb)) {
    const fs::path run_dir = pb;
    pb = learner::FinalPolicyPath(run_dir.string());
    if (auto cfg = LoadExperimentConfig((run_dir / "config.yaml").string()); cfg.ok()) {
      if (env_id.empty() || env_id == cfg->env.id) {
        env_id = cfg->env.id;
        env_options = cfg->env.options;
      }
    }
  }
  if (env_id.empty()) return InvalidArgumentError("--env is needed when CHECKPOINT is a file");
  FLEET_ASSIGN_OR_RETURN(auto env, envs::MakeEnv(env_id, env_options));
  const auto& as = env->spec().action_space;
  const int width = env->action_width();
  std::mt19937_64 rng(o.seed);
  std::vector<float> obs(env->obs_dim()), action(width), env_action(width);
  float logp, value;
  auto run = [&](bool deterministic) -> StatusOr<std::vector<double>> {
    FLEET_ASSIGN_OR_RETURN(auto policy, actor::LoadPolicyFile(pb.string(), env->spec(),
                                                              {deterministic, o.target_return}));
    std::vector<double> returns;
    for (int e = 0; e < o.episodes; ++e) {
      env->Reset(o.seed + e, obs);
      double total = 0.0;
      while (true) {
        policy->Act(obs, 1, rng, action, {&logp, 1}, {&value, 1});
        env_action = action;
        if (!as.is_discrete()) {
          for (int j = 0; j < width; ++j) {
            env_action[j] = std::clamp(action[j], static_cast<float>(as.low[j]),
                                       static_cast<float>(as.high[j]));
          }
        }
        FLEET_ASSIGN_OR_RETURN(auto r, env->Step(env_action, obs));
        total += r.reward;
        const float reward = static_cast<float>(r.reward);
        const uint8_t ended = r.terminated || r.truncated;
        policy->Observe({&reward, 1}, {&ended, 1});
        if (r.terminated || r.truncated) break;
      }
      returns.push_back(total);
    }
    return returns;
  };
  FLEET_ASSIGN_OR_RETURN(const std::vector<double> det, run(true));
  FLEET_ASSIGN_OR_RETURN(const std::vector<double> sto, run(false));
  EvalResult result;
  result.env_id = env_id;
  result.episodes = o.episodes;
  const Stats d = MeanStd(det), s = MeanStd(sto);
  result.deterministic_mean = d.mean;
  result.deterministic_std = d.std;
  result.stochastic_mean = s.mean;
  result.stochastic_std = s.std;
  return result;
}

}  // namespace fleet::orchestrator
