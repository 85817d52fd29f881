#include "orchestrator/run.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include <zmq.hpp>

#include "common/signals.h"
#include "common/curve.h"
#include "common/zmq_util.h"
#include "learner/algorithm_registry.h"
#include "learner/checkpoint.h"
#include "orchestrator/endpoints.h"
#include "orchestrator/launch_plan.h"
#include "orchestrator/local_launcher.h"
#include "orchestrator/run_setup.h"
#include "orchestrator/slurm.h"
#include "orchestrator/supervisor.h"
#include "proto/fleet.pb.h"

namespace fleet::orchestrator {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

void PrintStatus(const proto::LearnerStats& s, double elapsed, bool tty, bool offline) {
  char line[256];
  const double ret = s.mean_return_100();
  if (offline) {
    std::snprintf(line, sizeof(line), "[%7.1fs] updates %s (%.1f/s)", elapsed,
                  FormatCount(static_cast<double>(s.policy_version())).c_str(),
                  s.policy_version() / std::max(1e-9, s.wall_seconds()));
  } else {
    std::snprintf(line, sizeof(line),
                  "[%7.1fs] steps %s (%s/s) | episodes %s | return100 %s | lag %.2f | v%llu",
                  elapsed, FormatCount(s.env_steps()).c_str(),
                  FormatCount(s.steps_per_second()).c_str(), FormatCount(s.episodes()).c_str(),
                  std::isfinite(ret) ? (std::to_string(static_cast<int>(std::round(ret)))).c_str()
                                     : "-",
                  s.mean_policy_lag(), static_cast<unsigned long long>(s.policy_version()));
  }
  if (tty) {
    std::printf("\r%-100s", line);
  } else {
    std::printf("%s\n", line);
  }
  std::fflush(stdout);
}

// Runs the plan until the learner finishes, something fails or a stop signal arrives,
// printing the learner's progress.
Status Supervise(const ExperimentConfig& cfg, const std::string& run_dir, const Endpoints& ep,
                 Supervisor& sup, bool offline) {
  zmq::context_t ctx(1);
  zmq::socket_t stats(ctx, zmq::socket_type::sub);
  stats.set(zmq::sockopt::linger, 0);
  stats.set(zmq::sockopt::subscribe, "");
  SecureClient(stats, ep.stats.connect);
  stats.connect(ep.stats.connect);
  const auto start = Clock::now();
  const bool tty0 = ::isatty(STDOUT_FILENO);
  sup.set_notice_handler([tty0](const std::string& line) {
    std::printf("%sfleet: %s\n", tty0 ? "\n" : "", line.c_str());
    std::fflush(stdout);
  });
  FLEET_RETURN_IF_ERROR(sup.StartAll());
  if (offline) {
    std::printf("fleet: train-offline %s: learner started on %s; logs in %s/logs\n",
                run_dir.c_str(), cfg.learner.dataset.c_str(), run_dir.c_str());
  } else {
    std::printf("fleet: run %s: store, learner and %d actor(s) started; logs in %s/logs\n",
                run_dir.c_str(), cfg.actors.count, run_dir.c_str());
  }
  std::fflush(stdout);
  const bool tty = ::isatty(STDOUT_FILENO);
  proto::LearnerStats latest;
  bool have_stats = false;
  auto last_print = Clock::now();
  const auto interval = milliseconds(static_cast<int64_t>(cfg.run.status_interval_s * 1000));
  std::vector<zmq::message_t> frames;
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  while (true) {
    if (StopRequested()) {
      std::printf("\nfleet: stopping on signal\n");
      (void)sup.StopAll();  // interrupted either way
      return CancelledError("run interrupted; partial results in " + run_dir);
    }
    if (zmqu::WaitReadable(stats, milliseconds(100))) {
      while (zmqu::RecvMultipart(stats, frames)) {
        if (zmqu::ParseProto(frames.back(), latest).ok()) have_stats = true;
      }
    }
    auto on_restart = [&](const std::string& name, int code, int n) {
      const int budget = name == "store"     ? cfg.store.max_restarts
                         : name == "learner" ? cfg.learner.max_restarts
                                             : cfg.actors.max_restarts;
      std::printf("%sfleet: %s exited (code %d); restarting it (%d of %d)%s\n", tty ? "\n" : "",
                  name.c_str(), code, n, budget,
                  name == "learner" ? " from its latest checkpoint"
                  : name == "store" ? "; it recovers its dataset"
                                    : "");
      std::fflush(stdout);
    };
    switch (sup.Poll(on_restart)) {
      case Supervisor::State::kFailed:
        (void)sup.StopAll();  // the first failure is the one to report
        return sup.failure();
      case Supervisor::State::kFinished:
        if (have_stats) PrintStatus(latest, elapsed(), tty, offline);
        if (tty) std::printf("\n");
        // the actors and the store (sealing a recorded dataset) must stop cleanly too.
        return sup.StopAll();
      case Supervisor::State::kRunning:
        break;
    }
    if (have_stats && Clock::now() - last_print >= interval) {
      PrintStatus(latest, elapsed(), tty, offline);
      last_print = Clock::now();
    }
  }
}

// fleet run and fleet train-offline: the config (or the resumed run's), checks, the run
// directory, the plan, supervision, the summary.
Status Launch(const RunOptions& o, bool offline) {
  const bool resume = !o.resume_dir.empty();
  if (resume) {
    // no checkpoint (or one this build cannot read) is the first thing to say.
    auto cp = learner::ReadCheckpointState(learner::FindLatestCheckpoint(o.resume_dir));
    if (!cp.ok()) {
      return Status(cp.status().code(), "--resume " + o.resume_dir + ": " + cp.status().message());
    }
  }
  FLEET_ASSIGN_OR_RETURN(
      ExperimentConfig cfg,
      learner::LoadRunConfig(resume ? o.resume_dir + "/config.yaml" : o.config_path, o.overrides));
  FLEET_RETURN_IF_ERROR(CheckEnv(cfg));
  if (resume) {
    if (Status st = learner::CheckResumable(o.resume_dir, cfg); !st.ok()) {
      return Status(st.code(), "--resume " + o.resume_dir + ": " + st.message());
    }
  }
  const std::string run_dir =
      resume ? o.resume_dir : (o.run_dir.empty() ? DefaultRunDir(cfg.run.name) : o.run_dir);
  FLEET_RETURN_IF_ERROR(PrepareTransportKeys(cfg, run_dir));
  FLEET_ASSIGN_OR_RETURN(Endpoints ep, Endpoints::Make(cfg.run));
  const int64_t t0 = std::chrono::duration_cast<milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  FLEET_ASSIGN_OR_RETURN(LaunchPlan plan, offline ? BuildOfflinePlan(cfg, run_dir, ep, resume, t0)
                                                  : BuildRunPlan(cfg, run_dir, ep, resume, t0));
  FLEET_RETURN_IF_ERROR(PrepareRunDir(cfg, run_dir));
  FLEET_ASSIGN_OR_RETURN(std::unique_ptr<Launcher> launcher,
                         MakeLauncher(o.launcher, o.bin_dir, run_dir + "/logs"));
  Supervisor sup(std::move(plan), *launcher);
  FLEET_RETURN_IF_ERROR(Supervise(cfg, run_dir, ep, sup, offline));
  PrintSummary("finished", run_dir);
  return OkStatus();
}

}  // namespace

Status RunExperiment(const RunOptions& o) { return Launch(o, /*offline=*/false); }

Status TrainOffline(const RunOptions& o) { return Launch(o, /*offline=*/true); }

}  // namespace fleet::orchestrator
