#include "orchestrator/collect.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include <zmq.hpp>

#include "common/experiment_config.h"
#include "common/json.h"
#include "common/signals.h"
#include "common/zmq_util.h"
#include "envs/registry.h"
#include "learner/algorithm_registry.h"
#include "actor/policies.h"
#include "orchestrator/process.h"
#include "orchestrator/supervise.h"
#include "proto/fleet.pb.h"
#include "replay/dataset_reader.h"

namespace fleet::orchestrator {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// asks the store for its counters; nullopt if it does not answer in time.
std::optional<proto::StoreStats> QueryStore(zmq::context_t& ctx, const std::string& endpoint) {
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  zmqu::Configure(s);
  s.connect(endpoint);
  proto::RolloutRequest req;
  req.set_stats_only(true);
  if (!zmqu::SendProto(s, req).ok()) return std::nullopt;
  if (!zmqu::WaitReadable(s, milliseconds(500))) return std::nullopt;
  std::vector<zmq::message_t> frames;
  if (!zmqu::RecvMultipart(s, frames)) return std::nullopt;
  proto::RolloutHeader h;
  if (!zmqu::ParseProto(frames.back(), h).ok()) return std::nullopt;
  return h.stats();
}

class Collector {
 public:
  Collector(const ExperimentConfig& cfg, const CollectOptions& o, std::string run_dir,
            Endpoints ep)
      : cfg_(cfg), o_(o), run_dir_(std::move(run_dir)), ep_(std::move(ep)) {}
  ~Collector() {
    if (!ep_.ipc_dir.empty()) {
      std::error_code ec;
      fs::remove_all(ep_.ipc_dir, ec);
    }
  }
  Status Run();

 private:
  Status StartStore();
  Status Fail(ChildProcess& c, int code);
  void KillAll();
  bool Reached(const proto::StoreStats& s) const {
    return (cfg_.collect.episodes > 0 && s.recorded_episodes() >= uint64_t(cfg_.collect.episodes)) ||
           (cfg_.collect.steps > 0 && s.recorded_steps() >= uint64_t(cfg_.collect.steps));
  }

  const ExperimentConfig& cfg_;
  const CollectOptions& o_;
  std::string run_dir_;
  Endpoints ep_;
  std::optional<ChildProcess> store_;
  std::vector<ChildProcess> actors_;
  int restarts_ = 0;
};

Status Collector::StartStore() {
  const std::string fleet = o_.bin_dir + "/fleet";
  std::vector<std::string> argv = {fleet, "store", "--collect", "--config",
                                   run_dir_ + "/config.yaml", "--run-dir", run_dir_,
                                   "--ingest", ep_.ingest, "--rollout", ep_.rollout};
  std::string infos;
  for (const auto& c : actor::CollectPolicyOutputs(cfg_.collect).Columns()) infos += (infos.empty() ? "" : ",") + c;
  if (!infos.empty()) argv.insert(argv.end(), {"--record-infos", infos});
  FLEET_ASSIGN_OR_RETURN(auto child,
                         ChildProcess::Spawn("store", argv, run_dir_ + "/logs/store.log"));
  std::ofstream(run_dir_ + "/logs/store.pid", std::ios::trunc) << child.pid() << "\n";
  store_.emplace(std::move(child));
  return OkStatus();
}

void Collector::KillAll() {
  for (auto& a : actors_) a.Signal(SIGTERM);
  if (store_) store_->Signal(SIGTERM);
  for (auto& a : actors_) {
    if (!a.Wait(milliseconds(5000))) a.Signal(SIGKILL);
  }
  if (store_ && !store_->Wait(milliseconds(10000))) store_->Signal(SIGKILL);
}

Status Collector::Fail(ChildProcess& c, int code) {
  KillAll();
  return InternalError(c.name() + " failed (exit code " + std::to_string(code) +
                       "); last lines of " + c.log_path() + ":\n" + TailFile(c.log_path(), 15));
}

Status Collector::Run() {
  const std::string fleet = o_.bin_dir + "/fleet";
  const auto start = Clock::now();
  FLEET_RETURN_IF_ERROR(StartStore());
  for (int i = 0; i < cfg_.actors.count; ++i) {
    FLEET_ASSIGN_OR_RETURN(
        auto child,
        ChildProcess::Spawn("actor " + std::to_string(i),
                            {fleet, "actor", "--collect", "--config", run_dir_ + "/config.yaml",
                             "--id", std::to_string(i), "--ingest", ep_.ingest, "--stats",
                             run_dir_ + "/logs/actor-" + std::to_string(i) + ".stats.json"},
                            run_dir_ + "/logs/actor-" + std::to_string(i) + ".log"));
    actors_.push_back(std::move(child));
  }
  std::printf("fleet: collect %s: store and %d actor(s) with policy '%s'; logs in %s/logs\n",
              run_dir_.c_str(), cfg_.actors.count, cfg_.collect.policy.c_str(), run_dir_.c_str());
  std::fflush(stdout);
  zmq::context_t ctx(1);
  proto::StoreStats latest;
  auto last_print = Clock::now();
  std::ofstream csv(run_dir_ + "/metrics.csv", std::ios::trunc);
  csv << "wall_seconds,env_steps,episodes,steps_per_second,store_restarts\n";
  const auto interval = milliseconds(static_cast<int64_t>(cfg_.run.status_interval_s * 1000));
  bool stopping = false;
  while (true) {
    if (StopRequested() && !stopping) {
      std::printf("fleet: stopping on signal; draining the actors\n");
      stopping = true;
      for (auto& a : actors_) a.Signal(SIGTERM);
    }
    if (auto code = store_->Poll()) {
      if (restarts_ >= cfg_.store.max_restarts) return Fail(*store_, *code);
      ++restarts_;
      std::printf("fleet: the store exited (code %d); restarting it (%d of %d), it recovers "
                  "its dataset from the log\n", *code, restarts_, cfg_.store.max_restarts);
      std::fflush(stdout);
      FLEET_RETURN_IF_ERROR(StartStore());
    }
    bool all_done = true;
    for (auto& a : actors_) {
      if (auto code = a.Poll()) {
        if (*code != 0) return Fail(a, *code);
      } else {
        all_done = false;
      }
    }
    if (all_done) break;
    if (auto s = QueryStore(ctx, ep_.rollout)) {
      latest = *s;
      if (!stopping && Reached(latest)) {
        stopping = true;
        for (auto& a : actors_) a.Signal(SIGTERM);  // they drain, then exit
      }
    }
    if (Clock::now() - last_print >= interval) {
      const double t = std::chrono::duration<double>(Clock::now() - start).count();
      csv << t << "," << latest.recorded_steps() << "," << latest.recorded_episodes() << ","
          << latest.recorded_steps() / std::max(t, 1e-9) << "," << restarts_ << std::endl;
      std::printf("[%7.1fs] recorded %s steps (%s/s) | episodes %s | store restarts %d\n", t,
                  FormatCount(latest.recorded_steps()).c_str(),
                  FormatCount(latest.recorded_steps() / std::max(t, 1e-9)).c_str(),
                  FormatCount(latest.recorded_episodes()).c_str(), restarts_);
      std::fflush(stdout);
      last_print = Clock::now();
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  // every actor has drained: seal the dataset.
  store_->Signal(SIGTERM);
  if (!store_->Wait(milliseconds(60000))) {
    store_->Signal(SIGKILL);
    return DeadlineExceededError("the store did not finish sealing its dataset within 60 s");
  }
  if (auto code = store_->Poll(); code && *code != 0) return Fail(*store_, *code);
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();

  int64_t acked_steps = 0, acked_chunks = 0, resends = 0;
  for (int i = 0; i < cfg_.actors.count; ++i) {
    const std::string path = run_dir_ + "/logs/actor-" + std::to_string(i) + ".stats.json";
    FLEET_ASSIGN_OR_RETURN(Json stats, ReadJsonFile(path));
    FLEET_ASSIGN_OR_RETURN(int64_t steps, JsonMember<int64_t>(stats, "steps_acked", path));
    FLEET_ASSIGN_OR_RETURN(int64_t chunks, JsonMember<int64_t>(stats, "chunks_acked", path));
    FLEET_ASSIGN_OR_RETURN(int64_t sent_again, JsonMember<int64_t>(stats, "resends", path));
    acked_steps += steps;
    acked_chunks += chunks;
    resends += sent_again;
  }
  FLEET_ASSIGN_OR_RETURN(auto report, replay::InspectDataset(run_dir_ + "/dataset"));
  csv << wall << "," << report.steps << "," << report.episodes << ","
      << report.steps / std::max(wall, 1e-9) << "," << restarts_ << std::endl;
  auto spec = envs::GetSpec(cfg_.env.id, cfg_.env.options);
  Json summary;
  summary["mode"] = "collect";
  summary["env_id"] = cfg_.env.id;
  summary["policy"] = cfg_.collect.policy;
  summary["seed"] = cfg_.run.seed;
  summary["episodes"] = report.episodes;
  summary["mean_return_100"] = report.MeanLastReturns(100);
  summary["threshold"] =
      spec.ok() && spec->reward_threshold ? Json(*spec->reward_threshold) : Json(nullptr);
  summary["threshold_step"] = nullptr;
  summary["threshold_seconds"] = nullptr;
  summary["env_steps"] = report.steps;
  summary["acked_steps"] = acked_steps;
  summary["acked_chunks"] = acked_chunks;
  summary["resends"] = resends;
  summary["store_restarts"] = restarts_;
  summary["shards"] = report.shards.size();
  summary["dataset_ok"] = report.ok();
  summary["wall_seconds"] = wall;
  summary["steps_per_second"] = report.steps / std::max(wall, 1e-9);
  summary["dataset"] = "dataset";
  FLEET_RETURN_IF_ERROR(WriteJsonFileAtomically(run_dir_ + "/summary.json", summary));
  if (!report.ok()) return DataLossError("the collected dataset does not verify; see fleet dataset verify");
  return OkStatus();
}

}  // namespace

Status RunCollect(const CollectOptions& o) {
  FLEET_ASSIGN_OR_RETURN(ExperimentConfig cfg, learner::LoadRunConfig(o.config_path, o.overrides));
  FLEET_RETURN_IF_ERROR(CheckEnv(cfg));
  if (cfg.collect.episodes <= 0 && cfg.collect.steps <= 0) {
    return InvalidArgumentError("config key 'collect': set collect.episodes or collect.steps");
  }
  if (cfg.collect.policy == "checkpoint" && !fs::exists(cfg.collect.checkpoint)) {
    return NotFoundError("config key 'collect.checkpoint': no file '" + cfg.collect.checkpoint + "'");
  }
  if (cfg.collect.policy == "scripted" && cfg.env.id.rfind("LunarLander", 0) != 0) {
    return InvalidArgumentError("config key 'collect.policy': 'scripted' has a controller for "
                                "LunarLander only, not " + cfg.env.id);
  }
  cfg.store.record = true;
  const std::string run_dir =
      o.run_dir.empty() ? DefaultRunDir(cfg.run.name + "-collect") : o.run_dir;
  FLEET_RETURN_IF_ERROR(PrepareRunDir(cfg, run_dir));
  FLEET_ASSIGN_OR_RETURN(Endpoints ep, MakeEndpoints(cfg.run.transport));
  Collector c(cfg, o, run_dir, std::move(ep));
  FLEET_RETURN_IF_ERROR(c.Run());
  PrintSummary("collected", run_dir);
  return OkStatus();
}

}  // namespace fleet::orchestrator
