#include "orchestrator/eval.h"

#include <algorithm>

#include <chrono>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "actor/evaluator.h"
#include "actor/policies.h"
#include "common/experiment_config.h"
#include "envs/board/tictactoe.h"
#include "envs/registry.h"
#include "learner/checkpoint.h"
#include "orchestrator/local_launcher.h"
#include "orchestrator/supervisor.h"
#include "replay/d4rl.h"

namespace fleet::orchestrator {
namespace {

namespace fs = std::filesystem;

ModeResult Summarize(const std::vector<double>& xs, const std::string& env_id) {
  ModeResult r;
  for (double x : xs) r.mean += x;
  r.mean /= static_cast<double>(xs.size());
  for (double x : xs) r.std += (x - r.mean) * (x - r.mean);
  r.std = std::sqrt(r.std / static_cast<double>(xs.size()));
  if (auto ref = replay::D4rlReferenceFor(env_id)) r.d4rl_score = replay::D4rlNormalized(r.mean, *ref);
  const bool games = std::all_of(xs.begin(), xs.end(), [](double x) { return x == -1.0 || x == 0.0 || x == 1.0; });
  if (games && env_id == "TicTacToe-v0") {
    const double n = static_cast<double>(xs.size());
    r.loss_rate = static_cast<double>(std::count(xs.begin(), xs.end(), -1.0)) / n;
    r.draw_rate = static_cast<double>(std::count(xs.begin(), xs.end(), 0.0)) / n;
    r.win_rate = static_cast<double>(std::count(xs.begin(), xs.end(), 1.0)) / n;
  }
  return r;
}

// What any policy costs and does besides its return; and for a composite env, the
// success rate and each phase's mean return and clear rate.
void AddEpisodeMetrics(const actor::EvalReport& r, ModeResult& m) {
  const double n = static_cast<double>(r.returns.size());
  double effort = 0;
  for (double e : r.control_effort) effort += e;
  m.mean_control_effort = effort / n;
  m.act_us_per_step = r.steps > 0 ? 1e6 * r.act_seconds / static_cast<double>(r.steps) : 0.0;
  if (r.phase_names.empty()) return;
  CompositeResult c;
  double success = 0, switches = 0;
  for (size_t e = 0; e < r.returns.size(); ++e) {
    success += r.success[e];
    switches += static_cast<double>(r.switches[e]);
  }
  c.success_rate = success / n;
  c.mean_switches = switches / n;
  for (size_t p = 0; p < r.phase_names.size(); ++p) {
    CompositeResult::Phase ph;
    ph.name = r.phase_names[p];
    for (size_t e = 0; e < r.returns.size(); ++e) {
      ph.mean_return += r.phase_returns[e][p] / n;
      ph.clear_rate += r.phase_cleared[e][p] / n;
    }
    c.phases.push_back(ph);
  }
  m.composite = c;
}

Json ModeJson(const ModeResult& m) {
  Json j{{"mean", m.mean}, {"std", m.std}, {"mean_control_effort", m.mean_control_effort},
         {"act_us_per_step", m.act_us_per_step}};
  if (m.composite) {
    Json phases = Json::array();
    for (const auto& ph : m.composite->phases) {
      phases.push_back(Json{{"name", ph.name}, {"mean_return", ph.mean_return}, {"clear_rate", ph.clear_rate}});
    }
    j["success_rate"] = m.composite->success_rate;
    j["mean_switches"] = m.composite->mean_switches;
    j["phases"] = phases;
  }
  if (m.d4rl_score) j["d4rl_score"] = *m.d4rl_score;
  if (m.win_rate) {
    j["win_rate"] = *m.win_rate;
    j["draw_rate"] = *m.draw_rate;
    j["loss_rate"] = *m.loss_rate;
  }
  return j;
}

// The returns of `episodes` episodes of one policy mode, from `actors` actor processes.
StatusOr<actor::EvalReport> RunEvalActors(const EvalOptions& o, const std::string& pb,
                                            const std::string& env_id,
                                            const std::map<std::string, std::string>& env_options,
                                            bool deterministic, const std::string& logs,
                                            const std::string& tag) {
  const int P = std::max(1, std::min(o.actors, o.episodes));
  LaunchPlan plan;
  for (int k = 0; k < P; ++k) {
    // actor k: episodes [k N / P, (k + 1) N / P)
    const int first = k * o.episodes / P, last = (k + 1) * o.episodes / P;
    RoleSpec r;
    r.role = "eval actor " + std::to_string(k);
    r.program = "fleet";
    r.args = {"actor", "--eval", pb, "--env", env_id, "--first-episode", std::to_string(first),
              "--episodes", std::to_string(last - first), "--seed", std::to_string(o.seed),
              "--envs", std::to_string(o.envs_per_actor), "--target-return",
              std::to_string(o.target_return), "--stats",
              logs + "/" + tag + "-" + std::to_string(k) + ".json"};
    if (deterministic) r.args.push_back("--deterministic");
    for (const auto& [key, value] : env_options) r.args.insert(r.args.end(), {"--env-option", key + "=" + value});
    r.log_name = tag + "-" + std::to_string(k);
    r.on_exit = OnExit::kFailsIfNonZero;
    plan.roles.push_back(r);
    plan.stop_order.push_back(r.role);
  }
  LocalLauncher launcher(o.bin_dir, logs);
  Supervisor sup(plan, launcher);
  FLEET_RETURN_IF_ERROR(sup.StartAll());
  for (bool all = false; !all;) {
    if (sup.Poll() == Supervisor::State::kFailed) {
      (void)sup.StopAll();
      return sup.failure();
    }
    all = true;
    for (const RoleSpec& r : plan.roles) all = all && sup.AllExited(r.role);
    if (!all) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (sup.Poll() == Supervisor::State::kFailed) return sup.failure();
  // the processes' reports, in episode order
  actor::EvalReport all;
  for (int k = 0; k < P; ++k) {
    const std::string path = logs + "/" + tag + "-" + std::to_string(k) + ".json";
    FLEET_ASSIGN_OR_RETURN(Json j, ReadJsonFile(path));
    FLEET_ASSIGN_OR_RETURN(actor::EvalReport report, actor::EvalReport::FromJson(j, path));
    auto append = [](auto& to, const auto& from) { to.insert(to.end(), from.begin(), from.end()); };
    append(all.returns, report.returns);
    append(all.lengths, report.lengths);
    append(all.control_effort, report.control_effort);
    all.steps += report.steps;
    all.act_seconds += report.act_seconds;
    if (!report.phase_names.empty()) all.phase_names = report.phase_names;
    append(all.phase_returns, report.phase_returns);
    append(all.phase_cleared, report.phase_cleared);
    append(all.switches, report.switches);
    append(all.success, report.success);
  }
  return all;
}

// The greedy policy's exact outcome against TicTacToe-v0's built-in players.
StatusOr<Json> GameTree(const proto::PolicyWeights& weights, const envs::EnvSpec& spec,
                        const std::map<std::string, std::string>& env_options) {
  FLEET_ASSIGN_OR_RETURN(std::unique_ptr<actor::Policy> policy,
                         actor::PolicyFromWeights(weights, spec, {true, 0.0}));
  double first_move_prob = 0.5;
  if (auto it = env_options.find("first_move_prob"); it != env_options.end()) {
    first_move_prob = std::stod(it->second);  // checked by GetSpec already
  }
  std::mt19937_64 rng(0);
  auto agent = [&](const envs::tictactoe::Board& b) {
    float obs[envs::TicTacToe::kObsDim];
    envs::TicTacToe::WriteObs(b, obs);
    float action = 0.0f, logprob = 0.0f, value = 0.0f;
    policy->Act(std::span<const float>(obs, envs::TicTacToe::kObsDim), 1, rng,
                std::span<float>(&action, 1), std::span<float>(&logprob, 1), std::span<float>(&value, 1));
    return static_cast<int>(action);
  };
  Json tree = Json::object();
  for (const bool minimax : {false, true}) {
    const envs::tictactoe::ExactOutcome e = envs::tictactoe::ExactOutcomeAgainst(agent, minimax, first_move_prob);
    Json lines = Json::array();
    for (const std::string& l : e.losing_lines) lines.push_back(l);
    tree[minimax ? "minimax" : "random"] =
        Json{{"win", e.win}, {"draw", e.draw}, {"loss", e.loss}, {"games", e.games},
             {"losing_games", e.losing_games}, {"losing_lines", lines}};
  }
  return tree;
}

}  // namespace

Status ParseEnvOptions(const std::vector<std::string>& key_values,
                       std::map<std::string, std::string>& options) {
  for (const std::string& kv : key_values) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgumentError("--env-option '" + kv + "' is not KEY=VALUE");
    }
    options[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return OkStatus();
}

Json EvalResult::ToJson() const {
  Json j{{"env_id", env_id}, {"episodes", episodes}, {"policy", policy}, {"parameters", parameters}};
  if (transformer) j["target_return"] = target_return;
  j["deterministic"] = ModeJson(deterministic);
  if (stochastic) j["stochastic"] = ModeJson(*stochastic);
  j["episodes_per_second"] = episodes_per_second;
  if (game_tree) j["game_tree"] = *game_tree;
  return j;
}

StatusOr<EvalResult> Evaluate(const EvalOptions& o) {
  if (o.episodes < 1) return InvalidArgumentError("--episodes must be >= 1");
  if (o.actors < 1) return InvalidArgumentError("--actors must be >= 1");
  fs::path pb = o.checkpoint;
  std::map<std::string, std::string> env_options;
  std::string env_id = o.env_id;
  std::string logs = o.logs_dir;
  if (fs::is_directory(pb)) {
    const fs::path run_dir = pb;
    pb = learner::FinalPolicyPath(run_dir.string());
    if (auto cfg = LoadExperimentConfig((run_dir / "config.yaml").string()); cfg.ok()) {
      if (env_id.empty() || env_id == cfg->env.id) {
        env_id = cfg->env.id;
        env_options = cfg->env.options;
      }
    }
    if (logs.empty()) logs = (run_dir / "logs").string();
  }
  std::ifstream in(pb, std::ios::binary);
  proto::PolicyWeights weights;
  if (!in) return NotFoundError("cannot open checkpoint '" + pb.string() + "'");
  if (!weights.ParseFromIstream(&in)) return DataLossError("'" + pb.string() + "' is not a PolicyWeights message");
  if (env_id.empty() && weights.has_router()) {
    // a router names the composite env it routes for
    env_id = weights.router().env_id();
    env_options.insert(weights.router().env_options().begin(), weights.router().env_options().end());
  }
  if (env_id.empty()) return InvalidArgumentError("--env is needed when CHECKPOINT is a file");
  // the run's exploration knobs shape its training data, not the task: not carried over.
  for (const std::string& kv : envs::DropTrainingOnlyOptions(env_id, env_options)) {
    std::fprintf(stderr, "fleet: eval: not carrying over the run's training-only env option %s\n",
                 kv.c_str());
  }
  FLEET_RETURN_IF_ERROR(ParseEnvOptions(o.env_options, env_options));
  // the policy must fit the env: checked here, before any process starts.
  FLEET_ASSIGN_OR_RETURN(envs::EnvSpec spec, envs::GetSpec(env_id, env_options));
  if (auto p = actor::PolicyFromWeights(weights, spec, {}); !p.ok()) {
    return InvalidArgumentError("checkpoint does not fit " + env_id + ": " + p.status().message());
  }
  std::error_code ec;
  std::string temp;
  if (logs.empty()) {
    char tmpl[] = "/tmp/fleet-eval-XXXXXX";
    if (!::mkdtemp(tmpl)) return UnavailableError("cannot create a temp dir for the eval actors");
    logs = temp = tmpl;
  }
  fs::create_directories(logs, ec);
  EvalResult result;
  result.env_id = env_id;
  result.episodes = o.episodes;
  result.transformer = weights.has_transformer();
  result.policy = result.transformer                  ? "decision_transformer"
                  : weights.has_router()            ? "router"
                  : weights.has_squashed_gaussian() ? "squashed_gaussian"
                                                    : "actor_critic";
  result.parameters = actor::ActingParameterCount(weights);
  result.target_return = o.target_return != 0.0 ? o.target_return : weights.transformer().target_return();
  const auto t0 = std::chrono::steady_clock::now();
  StatusOr<actor::EvalReport> det = RunEvalActors(o, pb.string(), env_id, env_options, true, logs, "eval-deterministic");
  StatusOr<actor::EvalReport> sto = actor::EvalReport{};
  if (det.ok() && !result.transformer) {
    sto = RunEvalActors(o, pb.string(), env_id, env_options, false, logs, "eval-stochastic");
  }
  if (!temp.empty()) fs::remove_all(temp, ec);
  FLEET_RETURN_IF_ERROR(det.status());
  FLEET_RETURN_IF_ERROR(sto.status());
  result.deterministic = Summarize(det->returns, env_id);
  AddEpisodeMetrics(*det, result.deterministic);
  if (!result.transformer) {
    result.stochastic = Summarize(sto->returns, env_id);
    AddEpisodeMetrics(*sto, *result.stochastic);
  }
  if (env_id == "TicTacToe-v0" && result.policy == "actor_critic") {
    FLEET_ASSIGN_OR_RETURN(result.game_tree, GameTree(weights, spec, env_options));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  result.episodes_per_second =
      static_cast<double>(o.episodes) * (result.transformer ? 1 : 2) / std::max(1e-9, seconds);
  return result;
}

}  // namespace fleet::orchestrator
