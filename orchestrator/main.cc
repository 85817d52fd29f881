// fleet: the one command. `fleet run` launches an experiment; `fleet store` and
// `fleet actor` are the roles the orchestrator starts; `fleet learner` hands over to the
// fleet-learner executable (the only one that loads libtorch).
#include <sys/prctl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <climits>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "actor/actor.h"
#include "actor/evaluator.h"
#include "actor/policies.h"
#include "learner/checkpoint.h"
#include "orchestrator/collect.h"
#include "orchestrator/dataset_commands.h"
#include "common/curve.h"
#include "common/heartbeat.h"
#include "common/experiment_config.h"
#include "common/json.h"
#include "common/logging.h"
#include "common/signals.h"
#include "orchestrator/eval.h"
#include "orchestrator/play.h"
#include "orchestrator/plot.h"
#include "orchestrator/k8s.h"
#include "orchestrator/run.h"
#include "orchestrator/run_setup.h"
#include "orchestrator/serve.h"
#include "learner/algorithm_registry.h"
#include <fstream>
#include "orchestrator/slurm.h"
#include "replay/store.h"

namespace {

std::string BinDir() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  buf[n] = '\0';
  return std::filesystem::path(buf).parent_path().string();
}

int Fail(const char* what, const fleet::Status& st) {
  std::fprintf(stderr, "fleet %s: %s\n", what, st.ToString().c_str());
  return fleet::ExitCodeFor(st);
}

fleet::StatusOr<fleet::ExperimentConfig> LoadRoleConfig(const std::string& path) {
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  auto cfg = fleet::LoadExperimentConfig(path);
  if (!cfg.ok()) return cfg;
  fleet::SetLogLevel(cfg->run.log_level);
  FLEET_RETURN_IF_ERROR(fleet::InitTransportSecurity(cfg->run));
  return cfg;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Fleet: a distributed actor-learner system for reinforcement learning"};
  app.require_subcommand(1);

  fleet::orchestrator::RunOptions run;
  auto* run_cmd = app.add_subcommand("run", "train online: store, learner and actors");
  run_cmd->add_option("config", run.config_path, "experiment config (YAML)");
  run_cmd->add_option("--run-dir", run.run_dir, "run directory (default runs/NAME-TIME)");
  run_cmd->add_option("--resume", run.resume_dir,
                      "continue the run in this directory from its latest checkpoint");
  run_cmd->add_option("--set", run.overrides, "override a config key: key=value")
      ->take_all()
      ->allow_extra_args(false);
  run_cmd->add_option("--launcher", run.launcher,
                      "local, or slurm: roles as steps of the enclosing Slurm job")
      ->check(CLI::IsMember({"local", "slurm"}));

  fleet::orchestrator::RunOptions offline;
  auto* offline_cmd = app.add_subcommand(
      "train-offline", "train from a recorded dataset (learner.algo dt): the learner alone");
  offline_cmd->add_option("config", offline.config_path, "experiment config (YAML)");
  offline_cmd->add_option("--run-dir", offline.run_dir, "run directory (default runs/NAME-TIME)");
  offline_cmd->add_option("--resume", offline.resume_dir,
                          "continue the run in this directory from its latest checkpoint");
  offline_cmd->add_option("--set", offline.overrides, "override a config key: key=value")
      ->take_all()
      ->allow_extra_args(false);
  offline_cmd->add_option("--launcher", offline.launcher,
                          "local, or slurm: the learner as a step of the enclosing Slurm job")
      ->check(CLI::IsMember({"local", "slurm"}));

  fleet::orchestrator::SlurmSubmitOptions slurm;
  std::string slurm_command = "run";
  auto* slurm_cmd = app.add_subcommand("slurm", "launch on a Slurm cluster");
  slurm_cmd->require_subcommand(1);
  auto* slurm_script_cmd = slurm_cmd->add_subcommand("script", "print the batch script of a run");
  auto* slurm_submit_cmd =
      slurm_cmd->add_subcommand("submit", "submit a run, follow it, exit with its outcome");
  for (auto* c : {slurm_script_cmd, slurm_submit_cmd}) {
    c->add_option("config", slurm.config_path, "experiment config (YAML)")->required();
    c->add_option("--run-dir", slurm.run_dir,
                  "run directory on a filesystem every node sees (default runs/NAME-TIME)");
    c->add_option("--command", slurm_command, "run (default), train-offline or collect")
        ->check(CLI::IsMember({"run", "train-offline", "collect"}));
    c->add_option("--set", slurm.overrides, "override a config key: key=value")
        ->take_all()
        ->allow_extra_args(false);
  }
  std::string k8s_config, k8s_command = "run", k8s_out;
  std::vector<std::string> k8s_overrides;
  auto* k8s_cmd = app.add_subcommand("k8s", "launch on Kubernetes");
  k8s_cmd->require_subcommand(1);
  auto* k8s_render_cmd = k8s_cmd->add_subcommand("render", "write the manifests of a run");
  k8s_render_cmd->add_option("config", k8s_config, "experiment config (YAML)")->required();
  k8s_render_cmd->add_option("--command", k8s_command, "run (default) or train-offline")
      ->check(CLI::IsMember({"run", "train-offline"}));
  k8s_render_cmd->add_option("--out", k8s_out, "write to this file (default: stdout)");
  k8s_render_cmd->add_option("--set", k8s_overrides, "override a config key: key=value")
      ->take_all()
      ->allow_extra_args(false);
  std::string keygen_dir, keygen_client;
  auto* keygen_cmd = app.add_subcommand(
      "keygen", "make a CURVE key directory for tcp runs (run.curve_keys), or add a client to one");
  keygen_cmd->add_option("dir", keygen_dir, "key directory")->required();
  keygen_cmd->add_option("--client", keygen_client,
                         "add the client pair NAME.public/NAME.secret and authorize it");
  bool slurm_no_follow = false;
  slurm_submit_cmd->add_flag("--no-follow", slurm_no_follow, "print the job id and return");

  fleet::orchestrator::CollectOptions collect;
  auto* collect_cmd = app.add_subcommand(
      "collect", "record a dataset: actors with a random, scripted or checkpointed policy");
  collect_cmd->add_option("config", collect.config_path, "experiment config (YAML)")->required();
  collect_cmd->add_option("--run-dir,--out", collect.run_dir,
                          "run directory; the dataset goes to DIR/dataset (default runs/NAME-collect-TIME)");
  collect_cmd->add_option("--launcher", collect.launcher, "local (default) or slurm (inside a job)")
      ->check(CLI::IsMember({"local", "slurm"}));
  collect_cmd->add_option("--set", collect.overrides, "override a config key: key=value")
      ->take_all()
      ->allow_extra_args(false);

  std::string config_path, run_dir;
  fleet::replay::StoreOptions store;
  bool store_collect = false;
  auto* store_cmd = app.add_subcommand("store", "the trajectory store role");
  store_cmd->add_option("--config", config_path)->required();
  store_cmd->add_option("--run-dir", store.run_dir);
  store_cmd->add_option("--ingest", store.ingest_endpoint)->required();
  store_cmd->add_option("--rollout", store.rollout_endpoint)->required();
  store_cmd->add_flag("--collect", store_collect, "only record (no rollouts for a learner)");
  std::string store_heartbeat;
  store_cmd->add_option("--heartbeat", store_heartbeat,
                        "touch this file while alive (the supervisor watches it)");
  store_cmd->add_option("--record-infos", store.record_infos,
                        "optional columns to record (infos/logprob, infos/value)")
      ->delimiter(',');

  fleet::actor::ActorOptions actor;
  auto* actor_cmd = app.add_subcommand("actor", "the actor role");
  actor_cmd->add_option("--config", config_path);
  actor_cmd->add_option("--id", actor.actor_id);
  actor_cmd->add_option("--ingest", actor.ingest_endpoint);
  actor_cmd->add_option("--weights", actor.weights_endpoint);
  actor_cmd->add_flag("--collect", actor.collect, "act with the local collect.policy");
  actor_cmd->add_option("--stats", actor.stats_path, "write acknowledgement counts here at exit");
  std::string heartbeat_file;
  actor_cmd->add_option("--heartbeat", heartbeat_file,
                        "touch this file while alive (the supervisor kills an actor that stops)");
  fleet::actor::EvalRequest eval_request;
  std::vector<std::string> eval_env_options;
  bool eval_deterministic = false;
  actor_cmd->add_option("--eval", eval_request.policy_file,
                        "evaluate this policy file (no store, no learner); results to --stats");
  actor_cmd->add_option("--env", eval_request.env_id, "--eval: the env id");
  actor_cmd->add_option("--env-option", eval_env_options, "--eval: an env option key=value");
  actor_cmd->add_option("--first-episode", eval_request.first_episode, "--eval: first episode number");
  actor_cmd->add_option("--episodes", eval_request.episodes, "--eval: episodes");
  actor_cmd->add_option("--seed", eval_request.seed, "--eval: episode i is reset with seed + i");
  actor_cmd->add_option("--envs", eval_request.num_envs, "--eval: envs stepped together");
  actor_cmd->add_option("--target-return", eval_request.choice.target_return,
                        "--eval: a Decision Transformer's target return (0: its own)");
  actor_cmd->add_flag("--deterministic", eval_deterministic, "--eval: greedy actions");

  fleet::orchestrator::EvalOptions eval;
  std::string router_env, router_out;
  std::vector<std::string> router_specialists, router_env_options;
  auto* router_cmd = app.add_subcommand(
      "router", "make a router of specialists for a composite env (Endgame-v0, Sequential-v0)");
  router_cmd->add_option("env", router_env, "the composite env id")->required();
  router_cmd->add_option("specialists", router_specialists,
                         "one policy per phase, in phase order: a run directory or a policy .pb file")
      ->required();
  router_cmd->add_option("--out", router_out, "the router's policy file to write")->required();
  router_cmd->add_option("--env-option", router_env_options, "an env option key=value");

  auto* eval_cmd = app.add_subcommand("eval", "evaluate a saved policy (mean/std return)");
  eval_cmd->add_option("checkpoint", eval.checkpoint, "run directory or final_policy.pb")
      ->required();
  eval_cmd->add_option("--env", eval.env_id, "env id (default: the run's)");
  eval_cmd->add_option("--episodes", eval.episodes, "episodes per policy mode");
  eval_cmd->add_option("--seed", eval.seed, "first episode seed");
  eval_cmd->add_option("--target-return", eval.target_return,
                       "Decision Transformers: the return to condition on (default: its own)");
  eval_cmd->add_option("--actors", eval.actors, "actor processes the episodes are spread over");
  eval_cmd->add_option("--envs", eval.envs_per_actor, "envs each actor steps together");
  std::string eval_json;
  eval_cmd->add_option("--json", eval_json, "also write the result to this file");
  eval_cmd->add_option("--logs-dir", eval.logs_dir, "the eval actors' logs (default: the run's logs/)");
  eval_cmd->add_option("--env-option", eval.env_options,
                       "an env option KEY=VALUE on top of the run's (repeatable), e.g. opponent=minimax");

  fleet::orchestrator::PlayOptions play;
  auto* play_cmd = app.add_subcommand("play", "play a trained agent in the terminal (TicTacToe-v0)");
  play_cmd->add_option("run", play.run, "run directory or final_policy.pb")->required();
  play_cmd->add_option("--env", play.env_id, "env id (default: the run's)");
  play_cmd->add_option("--games", play.games, "games to play");
  play_cmd->add_option("--first", play.first, "who moves first: agent, you or random");
  play_cmd->add_flag("--stochastic", play.stochastic, "the agent samples its moves instead of taking the best");
  play_cmd->add_option("--seed", play.seed, "seed of the games (0: from the clock)");

  fleet::orchestrator::PlotOptions plot;
  auto* plot_cmd = app.add_subcommand("plot", "learning curves of runs to SVG");
  plot_cmd->add_option("run_dirs", plot.run_dirs, "run directories (several: mean and spread)")
      ->required();
  plot_cmd->add_option("--out", plot.out, "SVG file (default RUN_DIR/curves.svg)");
  plot_cmd->add_option("--csv", plot.csv,
                       "auto (default: evals.csv for an offline run, else metrics.csv), metrics "
                       "or evals (the in-training evaluations)");
  plot_cmd->add_option("--x", plot.x,
                       "x axis: steps (default: env steps, or gradient steps offline), wall "
                       "(wall-clock seconds) or a column");
  plot_cmd->add_option("--metric", plot.metrics,
                       "columns, one panel each (default: mean_return_100; from evals.csv "
                       "mean_return and d4rl_score)");
  plot_cmd->add_option("--title", plot.title, "title (the env id is always shown)");
  plot_cmd->add_option("--threshold", plot.threshold,
                       "return to mark with a line (default: the env's threshold from summary.json)");
  plot_cmd->add_flag("--no-threshold", plot.no_threshold, "no threshold line");

  fleet::orchestrator::DatasetCommands dataset(app);

  fleet::orchestrator::ServeOptions serve;
  auto* serve_cmd = app.add_subcommand(
      "serve", "serve one env over HTTP and WebSocket (OpenEnv's protocol; envs/server/README.md)");
  serve_cmd->add_option("env_id", serve.env_id, "env id, e.g. CartPole-v1")->required();
  serve_cmd->add_option("--host", serve.host, "address to bind; not loopback needs a token");
  serve_cmd->add_option("--port", serve.port, "port (0: any free one, printed)");
  serve_cmd->add_option("--set", serve.sets, "env.options.KEY=VALUE (repeatable)");
  serve_cmd->add_option("--token-file", serve.token_file,
                        "bearer token's file (default: $FLEET_SERVE_TOKEN)");
  serve_cmd->add_option("--threads", serve.threads, "threads serving requests");
  serve_cmd->add_option("--idle-timeout", serve.idle_timeout_s,
                        "seconds after which an untouched session is closed");
  serve_cmd->add_option("--max-sessions", serve.max_sessions, "sessions open at once");
  serve_cmd->add_option("--max-batch", serve.max_batch_envs, "envs in one batch session");

  auto* learner_cmd = app.add_subcommand("learner", "the learner role (runs fleet-learner)");
  learner_cmd->prefix_command();

  CLI11_PARSE(app, argc, argv);
  fleet::InstallStopSignalHandlers();

  if (*run_cmd) {
    if (run.config_path.empty() == run.resume_dir.empty()) {
      std::fprintf(stderr, "fleet run: give either CONFIG or --resume RUN_DIR\n");
      return 2;
    }
    run.bin_dir = BinDir();
    fleet::Status st = fleet::orchestrator::RunExperiment(run);
    return st.ok() ? 0 : Fail("run", st);
  }
  if (*offline_cmd) {
    if (offline.config_path.empty() == offline.resume_dir.empty()) {
      std::fprintf(stderr, "fleet train-offline: give either CONFIG or --resume RUN_DIR\n");
      return 2;
    }
    offline.bin_dir = BinDir();
    fleet::Status st = fleet::orchestrator::TrainOffline(offline);
    return st.ok() ? 0 : Fail("train-offline", st);
  }
  if (*slurm_cmd) {
    slurm.bin_dir = BinDir();
    slurm.follow = !slurm_no_follow;
    slurm.command = slurm_command == "run"       ? fleet::orchestrator::SlurmCommand::kRun
                    : slurm_command == "collect" ? fleet::orchestrator::SlurmCommand::kCollect
                                                 : fleet::orchestrator::SlurmCommand::kTrainOffline;
    fleet::Status st = *slurm_script_cmd ? fleet::orchestrator::PrintSlurmScript(slurm)
                                         : fleet::orchestrator::SubmitSlurmJob(slurm);
    return st.ok() ? 0 : Fail("slurm", st);
  }
  if (*keygen_cmd) {
    if (keygen_client.empty()) {
      if (fleet::Status st = fleet::GenerateCurveKeys(keygen_dir); !st.ok()) return Fail("keygen", st);
      std::printf("fleet keygen: server and client keys in %s (authorized_clients lists the client)\n",
                  keygen_dir.c_str());
    } else {
      auto pair = fleet::AddCurveClient(keygen_dir, keygen_client);
      if (!pair.ok()) return Fail("keygen", pair.status());
      std::printf("fleet keygen: client %s added to %s: public key %s\n", keygen_client.c_str(),
                  keygen_dir.c_str(), pair->public_z85.c_str());
    }
    return 0;
  }
  if (*serve_cmd) {
    fleet::Status st = fleet::orchestrator::Serve(serve);
    return st.ok() ? 0 : Fail("serve", st);
  }
  if (*k8s_cmd) {
    auto cfg = fleet::learner::LoadRunConfig(k8s_config, k8s_overrides);
    if (!cfg.ok()) return Fail("k8s", cfg.status());
    if (fleet::Status st = fleet::orchestrator::CheckEnv(*cfg); !st.ok()) return Fail("k8s", st);
    auto text = fleet::orchestrator::RenderK8sManifests(*cfg, {.offline = k8s_command != "run"});
    if (!text.ok()) return Fail("k8s", text.status());
    if (k8s_out.empty()) {
      std::fputs(text->c_str(), stdout);
      return 0;
    }
    std::ofstream f(k8s_out, std::ios::trunc);
    f << *text;
    if (!f) return Fail("k8s", fleet::InternalError("cannot write " + k8s_out));
    std::printf("fleet k8s: wrote %s\n", k8s_out.c_str());
    return 0;
  }
  if (*collect_cmd) {
    collect.bin_dir = BinDir();
    fleet::Status st = fleet::orchestrator::RunCollect(collect);
    return st.ok() ? 0 : Fail("collect", st);
  }
  if (dataset.chosen()) return dataset.Run();
  if (*plot_cmd) {
    auto path = fleet::orchestrator::PlotRuns(plot);
    if (!path.ok()) return Fail("plot", path.status());
    std::printf("fleet plot: wrote %s\n", path->c_str());
    return 0;
  }
  if (*play_cmd) {
    auto r = fleet::orchestrator::Play(play, std::cin, std::cout);
    if (!r.ok()) return Fail("play", r.status());
    return 0;
  }
  if (*router_cmd) {
    std::map<std::string, std::string> options;
    if (fleet::Status st = fleet::orchestrator::ParseEnvOptions(router_env_options, options); !st.ok()) {
      return Fail("router", st);
    }
    std::vector<fleet::proto::PolicyWeights> specialists;
    for (const std::string& s : router_specialists) {
      const std::string path =
          std::filesystem::is_directory(s) ? fleet::learner::FinalPolicyPath(s) : s;
      auto w = fleet::actor::ReadPolicyFile(path);
      if (!w.ok()) return Fail("router", w.status());
      specialists.push_back(std::move(*w));
    }
    auto router = fleet::actor::MakeRouterWeights(router_env, options, std::move(specialists));
    if (!router.ok()) return Fail("router", router.status());
    if (fleet::Status st = fleet::learner::WriteFile(router_out, router->SerializeAsString()); !st.ok()) {
      return Fail("router", st);
    }
    std::printf("fleet router: %s: %d specialists, %lld parameters -> %s\n", router_env.c_str(),
                router->router().specialists_size(),
                static_cast<long long>(fleet::actor::ActingParameterCount(*router)), router_out.c_str());
    return 0;
  }
  if (*eval_cmd) {
    eval.bin_dir = BinDir();
    auto r = fleet::orchestrator::Evaluate(eval);
    if (!r.ok()) return Fail("eval", r.status());
    const fleet::Json out = r->ToJson();
    std::printf("%s\n", fleet::DumpJson(out, -1).c_str());
    if (!eval_json.empty()) {
      if (fleet::Status st = fleet::WriteJsonFileAtomically(eval_json, out); !st.ok()) return Fail("eval", st);
    }
    return 0;
  }
  if (*store_cmd) {
    auto cfg = LoadRoleConfig(config_path);
    if (!cfg.ok()) return Fail("store", cfg.status());
    store.config = *cfg;
    fleet::SetHeartbeatFile(store_heartbeat);
    store.serve_rollouts = !store_collect;
    fleet::Status st = fleet::replay::RunStore(store);
    if (st.code() == fleet::StatusCode::kResourceExhausted) {
      // a full disk: HDF5's exit handlers would try to flush the abandoned shard again
      // (and crash in H5F__close_cb); the log holds everything, so leave at once.
      const int code = Fail("store", st);
      spdlog::shutdown();
      std::fflush(nullptr);
      ::_exit(code);
    }
    return st.ok() ? 0 : Fail("store", st);
  }
  if (*actor_cmd && !eval_request.policy_file.empty()) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    eval_request.choice.deterministic = eval_deterministic;
    for (const auto& kv : eval_env_options) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos) return Fail("actor", fleet::InvalidArgumentError("--env-option expects key=value"));
      eval_request.env_options[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    auto report = fleet::actor::EvaluatePolicy(eval_request);
    if (!report.ok()) return Fail("actor", report.status());
    fleet::Status st = fleet::WriteJsonFileAtomically(actor.stats_path, report->ToJson());
    return st.ok() ? 0 : Fail("actor", st);
  }
  if (*actor_cmd) {
    fleet::SetHeartbeatFile(heartbeat_file);
    auto cfg = LoadRoleConfig(config_path);
    if (!cfg.ok()) return Fail("actor", cfg.status());
    actor.config = *cfg;
    fleet::Status st = fleet::actor::RunActor(actor);
    return st.ok() ? 0 : Fail("actor", st);
  }
  if (*learner_cmd) {
    const std::string exe = BinDir() + "/fleet-learner";
    std::vector<std::string> rest = learner_cmd->remaining();
    std::vector<char*> args{const_cast<char*>(exe.c_str())};
    for (auto& r : rest) args.push_back(r.data());
    args.push_back(nullptr);
    ::execv(exe.c_str(), args.data());
    std::perror(("fleet learner: cannot exec " + exe).c_str());
    return 1;
  }
  return 0;
}
