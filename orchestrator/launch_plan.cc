#include "orchestrator/launch_plan.h"

#include "actor/policies.h"
#include "learner/algorithm_registry.h"

namespace fleet::orchestrator {
namespace {

std::string Substitute(std::string s, int index) {
  const std::string token = "{index}";
  for (size_t p = s.find(token); p != std::string::npos; p = s.find(token, p)) {
    s.replace(p, token.size(), std::to_string(index));
  }
  return s;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

RoleSpec Store(const ExperimentConfig& cfg, const std::string& run_dir, const Endpoints& ep,
               bool collect, const std::vector<std::string>& record_infos) {
  RoleSpec r;
  r.role = "store";
  r.program = "fleet";
  r.args = {"store", "--config", run_dir + "/config.yaml", "--run-dir", run_dir,
            "--ingest", ep.ingest.bind, "--rollout", ep.rollout.bind};
  if (collect) r.args.push_back("--collect");
  if (cfg.store.record && !record_infos.empty()) {
    r.args.insert(r.args.end(), {"--record-infos", Join(record_infos)});
  }
  r.log_name = "store";
  r.resources.cpu_list = cfg.store.cpus;
  // the store touches RUN_DIR/logs/store.alive from its poll loop (every 100 ms at most)
  if (cfg.store.heartbeat_timeout_s > 0) {
    r.heartbeat_file = run_dir + "/logs/store.alive";
    r.heartbeat_timeout_ms = static_cast<int64_t>(cfg.store.heartbeat_timeout_s * 1000);
    r.startup_timeout_ms = static_cast<int64_t>(cfg.run.startup_timeout_s * 1000);
    r.args.insert(r.args.end(), {"--heartbeat", r.heartbeat_file});
  }
  return r;
}

}  // namespace

std::vector<std::string> RoleSpec::ArgsFor(int index) const {
  std::vector<std::string> out;
  for (const auto& a : args) out.push_back(Substitute(a, index));
  return out;
}

std::string RoleSpec::LogNameFor(int index) const { return Substitute(log_name, index); }

std::string RoleSpec::HeartbeatFileFor(int index) const { return Substitute(heartbeat_file, index); }

namespace {

// the role's instances touch `file` ({index} substituted) while they work; the supervisor
// kills one that stays silent for `timeout_s` (0: not watched), or for
// run.startup_timeout_s before its first beat
void WatchHeartbeat(const ExperimentConfig& cfg, RoleSpec& role, const std::string& file,
                    double timeout_s) {
  if (timeout_s <= 0) return;
  role.heartbeat_file = file;
  role.heartbeat_timeout_ms = static_cast<int64_t>(timeout_s * 1000);
  role.startup_timeout_ms = static_cast<int64_t>(cfg.run.startup_timeout_s * 1000);
  role.args.push_back("--heartbeat");
  role.args.push_back(role.heartbeat_file);
}

// a crashed or hung learner is started again from its latest checkpoint (from scratch
// before the first); it touches RUN_DIR/logs/learner.alive while it works
void SuperviseLearner(const ExperimentConfig& cfg, const std::string& run_dir, RoleSpec& learner) {
  learner.restart = RestartPolicy::kOnFailure;
  learner.max_restarts = cfg.learner.max_restarts;
  learner.restart_backoff_ms = 1000;
  learner.restart_args = {"--restarted"};
  WatchHeartbeat(cfg, learner, run_dir + "/logs/learner.alive", cfg.learner.heartbeat_timeout_s);
}

}  // namespace

std::string RoleSpec::InstanceName(int index) const {
  return count == 1 && role != "actor" ? role : role + " " + std::to_string(index);
}

const RoleSpec* LaunchPlan::Find(const std::string& role) const {
  for (const auto& r : roles) {
    if (r.role == role) return &r;
  }
  return nullptr;
}

std::string ActorStatsPath(const std::string& run_dir, int index) {
  return run_dir + "/logs/actor-" + std::to_string(index) + ".stats.json";
}

StatusOr<LaunchPlan> BuildRunPlan(const ExperimentConfig& cfg, const std::string& run_dir,
                                  const Endpoints& ep, bool resume, int64_t start_unix_ms) {
  FLEET_ASSIGN_OR_RETURN(const learner::AlgorithmInfo* algo, learner::FindAlgorithm(cfg.learner.algo));
  if (algo->source == learner::BatchSource::kOffline) {
    return InvalidArgumentError("config key 'learner.algo': '" + algo->name +
                                "' trains from a dataset: use fleet train-offline");
  }
  LaunchPlan plan;
  RoleSpec store = Store(cfg, run_dir, ep, /*collect=*/false, algo->behaviour_infos);
  // a crashed store is started again: it recovers what it recorded, actors resend what it
  // had not acknowledged, the learner asks again for its batch (the chunks it held in
  // memory for the learner are lost, as episodes in flight are). A clean exit before the
  // stop, or one beyond the budget, fails the run.
  store.restart = RestartPolicy::kOnFailure;
  store.max_restarts = cfg.store.max_restarts;
  store.restart_backoff_ms = 200;
  store.on_exit = OnExit::kFailsRun;
  plan.roles.push_back(store);

  RoleSpec learner;
  learner.role = "learner";
  learner.program = "fleet-learner";
  learner.args = {"--config", run_dir + "/config.yaml", "--run-dir", run_dir,
                  "--rollout", ep.rollout.connect, "--weights", ep.weights.bind,
                  "--stats", ep.stats.bind, "--start-unix-ms", std::to_string(start_unix_ms)};
  if (resume) learner.args.push_back("--resume");
  learner.log_name = "learner";
  learner.on_exit = OnExit::kEndsRun;
  SuperviseLearner(cfg, run_dir, learner);
  learner.resources.cpus = cfg.learner.threads;
  learner.resources.cpu_list = cfg.learner.cpus;
  learner.resources.gpus = cfg.learner.device == "cuda" ? 1 : 0;
  plan.roles.push_back(learner);

  RoleSpec actors;
  actors.role = "actor";
  actors.count = cfg.actors.count;
  actors.program = "fleet";
  actors.args = {"actor", "--config", run_dir + "/config.yaml", "--id", "{index}",
                 "--ingest", ep.ingest.connect, "--weights", ep.weights.connect};
  actors.log_name = "actor-{index}";
  actors.resources.cpu_list = cfg.actors.cpus;
  actors.on_exit = OnExit::kFailsIfNonZero;
  actors.restart = RestartPolicy::kOnFailure;
  actors.stop_signal_exit_is_clean = true;  // nothing to finish: unsent chunks are resent
  actors.max_restarts = cfg.actors.max_restarts;
  actors.restart_backoff_ms = cfg.actors.restart_backoff_ms;
  // actors touch RUN_DIR/logs/actor-K.alive
  WatchHeartbeat(cfg, actors, run_dir + "/logs/actor-{index}.alive", cfg.actors.heartbeat_timeout_s);
  plan.roles.push_back(actors);

  plan.stop_order = {"learner", "actor", "store"};
  return plan;
}

StatusOr<LaunchPlan> BuildOfflinePlan(const ExperimentConfig& cfg, const std::string& run_dir,
                                      const Endpoints& ep, bool resume, int64_t start_unix_ms) {
  FLEET_ASSIGN_OR_RETURN(const learner::AlgorithmInfo* algo, learner::FindAlgorithm(cfg.learner.algo));
  if (algo->source != learner::BatchSource::kOffline) {
    return InvalidArgumentError("config key 'learner.algo': '" + algo->name +
                                "' trains online: use fleet run");
  }
  LaunchPlan plan;
  RoleSpec learner;
  learner.role = "learner";
  learner.program = "fleet-learner";
  learner.args = {"--config", run_dir + "/config.yaml", "--run-dir", run_dir, "--stats",
                  ep.stats.bind, "--start-unix-ms", std::to_string(start_unix_ms)};
  if (resume) learner.args.push_back("--resume");
  learner.log_name = "learner";
  learner.on_exit = OnExit::kEndsRun;
  SuperviseLearner(cfg, run_dir, learner);
  learner.resources.cpus = cfg.learner.threads;
  learner.resources.cpu_list = cfg.learner.cpus;
  learner.resources.gpus = cfg.learner.device == "cuda" ? 1 : 0;
  plan.roles.push_back(learner);
  plan.stop_order = {"learner"};
  return plan;
}

StatusOr<LaunchPlan> BuildCollectPlan(const ExperimentConfig& cfg, const std::string& run_dir,
                                      const Endpoints& ep) {
  LaunchPlan plan;
  FLEET_ASSIGN_OR_RETURN(actor::PolicyOutputs outputs, actor::CollectPolicyOutputs(cfg.collect));
  RoleSpec store = Store(cfg, run_dir, ep, /*collect=*/true, outputs.Columns());
  store.restart = RestartPolicy::kAlways;
  store.max_restarts = cfg.store.max_restarts;
  store.on_exit = OnExit::kFailsRun;
  plan.roles.push_back(store);

  RoleSpec actors;
  actors.role = "actor";
  actors.count = cfg.actors.count;
  actors.program = "fleet";
  actors.args = {"actor", "--collect", "--config", run_dir + "/config.yaml", "--id", "{index}",
                 "--ingest", ep.ingest.connect, "--stats",
                 run_dir + "/logs/actor-{index}.stats.json"};
  actors.log_name = "actor-{index}";
  actors.resources.cpu_list = cfg.actors.cpus;
  actors.on_exit = OnExit::kFailsIfNonZero;
  actors.restart = RestartPolicy::kOnFailure;
  actors.stop_signal_exit_is_clean = true;  // nothing to finish: unsent chunks are resent
  actors.max_restarts = cfg.actors.max_restarts;
  actors.restart_backoff_ms = cfg.actors.restart_backoff_ms;
  // actors touch RUN_DIR/logs/actor-K.alive
  WatchHeartbeat(cfg, actors, run_dir + "/logs/actor-{index}.alive", cfg.actors.heartbeat_timeout_s);
  plan.roles.push_back(actors);

  plan.stop_order = {"actor", "store"};
  return plan;
}

}  // namespace fleet::orchestrator
