// fleet-learner: the learner role's executable, kept apart from `fleet` so that only this
// process loads libtorch. Started by the orchestrator (or `fleet learner ...`).
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "common/logging.h"
#include "common/signals.h"
#include "common/curve.h"
#include "common/heartbeat.h"
#include "learner/algorithm_registry.h"
#include "learner/learner.h"

int main(int argc, char** argv) {
  CLI::App app{"Fleet learner role"};
  std::string config_path;
  fleet::learner::LearnerOptions o;
  app.add_option("--config", config_path, "resolved experiment config (YAML)")->required();
  app.add_option("--run-dir", o.run_dir, "run directory")->required();
  app.add_option("--rollout", o.rollout_endpoint, "store's rollout endpoint (online algorithms)");
  app.add_option("--weights", o.weights_endpoint, "endpoint to publish weights on (online algorithms)");
  app.add_option("--stats", o.stats_endpoint, "endpoint to publish progress on");
  app.add_option("--start-unix-ms", o.start_unix_ms, "run start (unix ms)");
  app.add_flag("--resume", o.resume, "continue from run-dir/checkpoints/latest");
  std::string heartbeat_file;
  app.add_option("--heartbeat", heartbeat_file,
                 "file to touch while working (the orchestrator's liveness check)");
  app.add_flag("--restarted", o.restarted,
               "started again after a crash: resume if a checkpoint exists, else start over");
  CLI11_PARSE(app, argc, argv);
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  fleet::InstallStopSignalHandlers();
  fleet::SetHeartbeatFile(heartbeat_file);
  auto cfg = fleet::learner::LoadRunConfig(config_path);
  if (!cfg.ok()) {
    std::fprintf(stderr, "fleet-learner: %s\n", cfg.status().ToString().c_str());
    return 2;
  }
  if (fleet::Status st = fleet::InitTransportSecurity(cfg->run); !st.ok()) {
    std::fprintf(stderr, "fleet-learner: %s\n", st.ToString().c_str());
    return 2;
  }
  o.config = *cfg;
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  o.bin_dir = n > 0 ? std::filesystem::path(std::string(exe, n)).parent_path().string() : ".";
  fleet::SetLogLevel(o.config.run.log_level);
  fleet::Status st = fleet::learner::RunLearner(o);
  if (!st.ok()) {
    fleet::GetLogger("learner")->error("{}", st.ToString());
    // bad input (a missing or mismatched dataset, a config the algorithm refuses) exits
    // with the usage code, which tells the supervisor a restart would meet it again; the
    // rest (a torn message from the store, an unwritable file) exits 1 and is restarted
    // from the latest checkpoint.
    const bool bad_input = st.code() == fleet::StatusCode::kInvalidArgument ||
                           st.code() == fleet::StatusCode::kNotFound;
    return bad_input ? fleet::kExitUsage : fleet::kExitFailure;
  }
  return 0;
}
