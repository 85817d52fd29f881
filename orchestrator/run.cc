#include "orchestrator/run.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include <zmq.hpp>

#include "common/experiment_config.h"
#include "common/signals.h"
#include "common/zmq_util.h"
#include "envs/registry.h"
#include "learner/algorithm_registry.h"
#include "learner/checkpoint.h"
#include "orchestrator/process.h"
#include "orchestrator/supervise.h"
#include "proto/fleet.pb.h"

namespace fleet::orchestrator {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

StatusOr<int> FreeTcpPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return UnavailableError("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return UnavailableError("cannot find a free TCP port on 127.0.0.1");
  }
  ::close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

}  // namespace

StatusOr<Endpoints> MakeEndpoints(const std::string& transport) {
  Endpoints e;
  if (transport == "ipc") {
    // unix socket paths are limited to ~107 bytes, so they live in a short temp dir.
    char tmpl[] = "/tmp/fleet-XXXXXX";
    if (!::mkdtemp(tmpl)) return UnavailableError("cannot create a temp dir for ipc sockets");
    e.ipc_dir = tmpl;
    e.ingest = "ipc://" + e.ipc_dir + "/ingest";
    e.rollout = "ipc://" + e.ipc_dir + "/rollout";
    e.weights = "ipc://" + e.ipc_dir + "/weights";
    e.stats = "ipc://" + e.ipc_dir + "/stats";
    return e;
  }
  std::string* slots[] = {&e.ingest, &e.rollout, &e.weights, &e.stats};
  for (std::string* s : slots) {
    FLEET_ASSIGN_OR_RETURN(int port, FreeTcpPort());
    *s = "tcp://127.0.0.1:" + std::to_string(port);
  }
  return e;
}

std::string DefaultRunDir(const std::string& name) {
  char buf[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(buf, sizeof(buf), "%Y%m%d-%H%M%S", std::localtime(&now));
  return "runs/" + name + "-" + buf;
}

Status CheckEnv(const ExperimentConfig& cfg) {
  if (auto spec = envs::GetSpec(cfg.env.id, cfg.env.options); !spec.ok()) {
    return Status(spec.status().code(), "config key 'env': " + spec.status().message());
  }
  return OkStatus();
}

Status PrepareRunDir(const ExperimentConfig& cfg, const std::string& run_dir) {
  std::error_code ec;
  fs::create_directories(run_dir + "/logs", ec);
  if (ec) return UnavailableError("cannot create run directory '" + run_dir + "': " + ec.message());
  std::ofstream out(run_dir + "/config.yaml", std::ios::trunc);
  out << ExperimentConfigToYaml(cfg);
  if (!out) return UnavailableError("cannot write " + run_dir + "/config.yaml");
  return OkStatus();
}

void PrintSummary(const std::string& verb, const std::string& run_dir) {
  std::ifstream summary(run_dir + "/summary.json");
  std::printf("fleet: %s; summary in %s/summary.json\n%s", verb.c_str(), run_dir.c_str(),
              std::string(std::istreambuf_iterator<char>(summary), {}).c_str());
}

std::string FormatCount(double v) {
  char buf[32];
  if (v >= 1e6) std::snprintf(buf, sizeof(buf), "%.2fM", v / 1e6);
  else if (v >= 1e3) std::snprintf(buf, sizeof(buf), "%.1fk", v / 1e3);
  else std::snprintf(buf, sizeof(buf), "%.0f", v);
  return buf;
}

namespace {

void PrintStatus(const proto::LearnerStats& s, double elapsed, bool tty) {
  char line[256];
  const double ret = s.mean_return_100();
  std::snprintf(line, sizeof(line),
                "[%7.1fs] steps %s (%s/s) | episodes %s | return100 %s | lag %.2f | v%llu",
                elapsed, FormatCount(s.env_steps()).c_str(),
                FormatCount(s.steps_per_second()).c_str(), FormatCount(s.episodes()).c_str(),
                std::isfinite(ret) ? (std::to_string(static_cast<int>(std::round(ret)))).c_str()
                                   : "-",
                s.mean_policy_lag(), static_cast<unsigned long long>(s.policy_version()));
  if (tty) {
    std::printf("\r%-100s", line);
  } else {
    std::printf("%s\n", line);
  }
  std::fflush(stdout);
}

class Supervisor {
 public:
  Supervisor(const ExperimentConfig& cfg, const RunOptions& o, std::string run_dir,
             Endpoints ep)
      : cfg_(cfg), o_(o), run_dir_(std::move(run_dir)), ep_(std::move(ep)) {}
  ~Supervisor() {
    if (!ep_.ipc_dir.empty()) {
      std::error_code ec;
      fs::remove_all(ep_.ipc_dir, ec);
    }
  }

  Status Run();

 private:
  Status StartAll();
  void StopAll();
  Status Failure(ChildProcess& c, int code);

  const ExperimentConfig& cfg_;
  const RunOptions& o_;
  std::string run_dir_;
  Endpoints ep_;
  std::vector<ChildProcess> children_;  // [0] store, [1] learner, then actors
};

Status Supervisor::StartAll() {
  const std::string fleet = o_.bin_dir + "/fleet";
  const std::string learner = o_.bin_dir + "/fleet-learner";
  const std::string config = run_dir_ + "/config.yaml";
  const std::string logs = run_dir_ + "/logs";
  const int64_t t0 = std::chrono::duration_cast<milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  auto spawn = [&](const std::string& name, std::vector<std::string> argv,
                   const std::string& log) -> Status {
    FLEET_ASSIGN_OR_RETURN(auto child, ChildProcess::Spawn(name, argv, logs + "/" + log));
    children_.push_back(std::move(child));
    return OkStatus();
  };
  FLEET_RETURN_IF_ERROR(spawn("store",
                              {fleet, "store", "--config", config, "--run-dir", run_dir_,
                               "--ingest", ep_.ingest, "--rollout", ep_.rollout,
                               "--record-infos", "infos/logprob,infos/value"},
                              "store.log"));
  std::vector<std::string> learner_argv = {
      learner, "--config", config, "--run-dir", run_dir_, "--rollout", ep_.rollout, "--weights",
      ep_.weights, "--stats", ep_.stats, "--start-unix-ms", std::to_string(t0)};
  if (!o_.resume_dir.empty()) learner_argv.push_back("--resume");
  FLEET_RETURN_IF_ERROR(spawn("learner", learner_argv, "learner.log"));
  for (int i = 0; i < cfg_.actors.count; ++i) {
    FLEET_RETURN_IF_ERROR(spawn("actor " + std::to_string(i),
                                {fleet, "actor", "--config", config, "--id", std::to_string(i),
                                 "--ingest", ep_.ingest, "--weights", ep_.weights},
                                "actor-" + std::to_string(i) + ".log"));
  }
  return OkStatus();
}

void Supervisor::StopAll() {
  // the learner first, so it can write its summary; then actors and store.
  for (auto& c : children_) c.Signal(SIGTERM);
  for (auto& c : children_) {
    if (!c.Wait(milliseconds(10000))) {
      c.Signal(SIGKILL);
      c.Wait(milliseconds(2000));
    }
  }
}

Status Supervisor::Failure(ChildProcess& c, int code) {
  StopAll();
  return InternalError(c.name() + " failed (exit code " + std::to_string(code) + "); last lines of " +
                       c.log_path() + ":\n" + TailFile(c.log_path(), 15));
}

Status Supervisor::Run() {
  zmq::context_t ctx(1);
  zmq::socket_t stats(ctx, zmq::socket_type::sub);
  stats.set(zmq::sockopt::linger, 0);
  stats.set(zmq::sockopt::subscribe, "");
  stats.connect(ep_.stats);

  const auto start = Clock::now();
  FLEET_RETURN_IF_ERROR(StartAll());
  std::printf("fleet: run %s: store, learner and %d actor(s) started; logs in %s/logs\n",
              run_dir_.c_str(), cfg_.actors.count, run_dir_.c_str());
  std::fflush(stdout);
  const bool tty = ::isatty(STDOUT_FILENO);
  proto::LearnerStats latest;
  bool have_stats = false;
  auto last_print = Clock::now();
  const auto interval = milliseconds(static_cast<int64_t>(cfg_.run.status_interval_s * 1000));
  std::vector<zmq::message_t> frames;
  while (true) {
    if (StopRequested()) {
      std::printf("\nfleet: stopping on signal\n");
      StopAll();
      return CancelledError("run interrupted; partial results in " + run_dir_);
    }
    if (zmqu::WaitReadable(stats, milliseconds(100))) {
      while (zmqu::RecvMultipart(stats, frames)) {
        if (zmqu::ParseProto(frames.back(), latest).ok()) have_stats = true;
      }
    }
    // the learner's clean exit ends the run; any other exit before it is a failure.
    ChildProcess& learner = children_[1];
    if (auto code = learner.Poll()) {
      if (*code != 0) return Failure(learner, *code);
      if (have_stats) PrintStatus(latest, std::chrono::duration<double>(Clock::now() - start).count(), tty);
      if (tty) std::printf("\n");
      StopAll();
      return OkStatus();
    }
    for (size_t i = 0; i < children_.size(); ++i) {
      if (i == 1) continue;
      if (auto code = children_[i].Poll()) {
        if (*code != 0 || i == 0) return Failure(children_[i], *code);
      }
    }
    if (have_stats && Clock::now() - last_print >= interval) {
      PrintStatus(latest, std::chrono::duration<double>(Clock::now() - start).count(), tty);
      last_print = Clock::now();
    }
  }
}

}  // namespace

Status RunExperiment(const RunOptions& o) {
  const bool resume = !o.resume_dir.empty();
  if (resume) {
    // no checkpoint (or one this build cannot read) is the first thing to say.
    auto cp = learner::ReadCheckpointState(learner::FindLatestCheckpoint(o.resume_dir));
    if (!cp.ok()) return Status(cp.status().code(), "--resume " + o.resume_dir + ": " + cp.status().message());
  }
  FLEET_ASSIGN_OR_RETURN(
      ExperimentConfig cfg,
      learner::LoadRunConfig(resume ? o.resume_dir + "/config.yaml" : o.config_path, o.overrides));
  if (resume) {
    if (Status st = learner::CheckResumable(o.resume_dir, cfg); !st.ok()) {
      return Status(st.code(), "--resume " + o.resume_dir + ": " + st.message());
    }
  }
  FLEET_RETURN_IF_ERROR(CheckEnv(cfg));
  const std::string run_dir =
      resume ? o.resume_dir : (o.run_dir.empty() ? DefaultRunDir(cfg.run.name) : o.run_dir);
  FLEET_RETURN_IF_ERROR(PrepareRunDir(cfg, run_dir));
  FLEET_ASSIGN_OR_RETURN(Endpoints ep, MakeEndpoints(cfg.run.transport));
  Supervisor sup(cfg, o, run_dir, std::move(ep));
  FLEET_RETURN_IF_ERROR(sup.Run());
  PrintSummary("finished", run_dir);
  return OkStatus();
}

}  // namespace fleet::orchestrator
