#include "orchestrator/collect.h"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <zmq.hpp>

#include "common/json.h"
#include "common/signals.h"
#include "common/curve.h"
#include "common/zmq_util.h"
#include "envs/registry.h"
#include "learner/algorithm_registry.h"
#include "orchestrator/endpoints.h"
#include "orchestrator/launch_plan.h"
#include "orchestrator/local_launcher.h"
#include "orchestrator/run_setup.h"
#include "orchestrator/slurm.h"
#include "orchestrator/supervisor.h"
#include "proto/fleet.pb.h"
#include "replay/dataset_reader.h"

namespace fleet::orchestrator {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// asks the store for its counters; nullopt if it does not answer in time.
std::optional<proto::StoreStats> QueryStore(zmq::context_t& ctx, const std::string& endpoint) {
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  zmqu::Configure(s);
  SecureClient(s, endpoint);
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

bool Reached(const CollectSection& c, const proto::StoreStats& s) {
  return (c.episodes > 0 && s.recorded_episodes() >= uint64_t(c.episodes)) ||
         (c.steps > 0 && s.recorded_steps() >= uint64_t(c.steps));
}

// Runs the plan until the actors, told to stop at the target, have drained; then stops the
// store, which seals the dataset. Progress to stdout and metrics.csv.
Status Supervise(const ExperimentConfig& cfg, const std::string& run_dir, const Endpoints& ep,
                 Supervisor& sup, std::ofstream& csv) {
  const auto start = Clock::now();
  sup.set_notice_handler([](const std::string& line) {
    std::printf("fleet: %s\n", line.c_str());
    std::fflush(stdout);
  });
  FLEET_RETURN_IF_ERROR(sup.StartAll());
  std::printf("fleet: collect %s: store and %d actor(s) with policy '%s'; logs in %s/logs\n",
              run_dir.c_str(), cfg.actors.count, cfg.collect.policy.c_str(), run_dir.c_str());
  std::fflush(stdout);
  zmq::context_t ctx(1);
  proto::StoreStats latest;
  auto last_print = Clock::now();
  const auto interval = milliseconds(static_cast<int64_t>(cfg.run.status_interval_s * 1000));
  bool stopping = false;
  auto on_restart = [&](const std::string& name, int code, int n) {
    if (name == "store") {
      std::printf("fleet: the store exited (code %d); restarting it (%d of %d), it recovers its "
                  "dataset from the log\n", code, n, cfg.store.max_restarts);
    } else {
      std::printf("fleet: %s exited (code %d); restarting it (%d of %d)\n", name.c_str(), code, n,
                  cfg.actors.max_restarts);
    }
    std::fflush(stdout);
  };
  while (!sup.AllExited("actor")) {
    if (StopRequested() && !stopping) {
      std::printf("fleet: stopping on signal; draining the actors\n");
      stopping = true;
      sup.Signal("actor", SIGTERM);
    }
    if (sup.Poll(on_restart) == Supervisor::State::kFailed) {
      (void)sup.StopAll();  // the first failure is the one to report
      return sup.failure();
    }
    if (auto s = QueryStore(ctx, ep.rollout.connect)) {
      latest = *s;
      if (!stopping && Reached(cfg.collect, latest)) {
        stopping = true;
        sup.Signal("actor", SIGTERM);  // they drain, then exit
      }
    }
    if (Clock::now() - last_print >= interval) {
      const double t = std::chrono::duration<double>(Clock::now() - start).count();
      csv << t << "," << latest.recorded_steps() << "," << latest.recorded_episodes() << ","
          << latest.recorded_steps() / std::max(t, 1e-9) << "," << sup.restarts("store") << std::endl;
      std::printf("[%7.1fs] recorded %s steps (%s/s) | episodes %s | store restarts %d\n", t,
                  FormatCount(latest.recorded_steps()).c_str(),
                  FormatCount(latest.recorded_steps() / std::max(t, 1e-9)).c_str(),
                  FormatCount(latest.recorded_episodes()).c_str(), sup.restarts("store"));
      std::fflush(stdout);
      last_print = Clock::now();
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  // the actors' last exits: a failed drain fails the collect.
  if (sup.Poll(on_restart) == Supervisor::State::kFailed) {
    (void)sup.StopAll();
    return sup.failure();
  }
  // every actor has drained: the store seals the dataset, and must do so cleanly.
  if (Status st = sup.StopAll(milliseconds(60000)); !st.ok()) {
    return Status(st.code(), "the store did not seal the dataset cleanly: " + st.message());
  }
  return OkStatus();
}

// summary.json: the stored totals next to the actors' acknowledged ones.
// The dataset's totals before this sitting (a collect resumed into the same folder).
struct Before {
  int64_t steps = 0, episodes = 0;
};

Status WriteSummary(const ExperimentConfig& cfg, const std::string& run_dir, double wall,
                    const Supervisor& sup, const Before& before, std::ofstream& csv) {
  const int store_restarts = sup.restarts("store");
  int64_t acked_steps = 0, acked_chunks = 0, resends = 0;
  for (int i = 0; i < cfg.actors.count; ++i) {
    const std::string path = ActorStatsPath(run_dir, i);
    // an actor told to stop before it installed its handlers (the target was reached while
    // it started) sent nothing and writes no stats
    if (!std::filesystem::exists(path) && sup.StoppedBeforeHandling("actor", i)) continue;
    FLEET_ASSIGN_OR_RETURN(Json stats, ReadJsonFile(path));
    FLEET_ASSIGN_OR_RETURN(int64_t steps, JsonMember<int64_t>(stats, "steps_acked", path));
    FLEET_ASSIGN_OR_RETURN(int64_t chunks, JsonMember<int64_t>(stats, "chunks_acked", path));
    FLEET_ASSIGN_OR_RETURN(int64_t sent_again, JsonMember<int64_t>(stats, "resends", path));
    acked_steps += steps;
    acked_chunks += chunks;
    resends += sent_again;
  }
  FLEET_ASSIGN_OR_RETURN(auto report, replay::InspectDataset(run_dir + "/dataset"));
  csv << wall << "," << report.steps << "," << report.episodes << ","
      << report.steps / std::max(wall, 1e-9) << "," << store_restarts << std::endl;
  auto spec = envs::GetSpec(cfg.env.id, cfg.env.options);
  Json summary;
  summary["mode"] = "collect";
  summary["env_id"] = cfg.env.id;
  summary["policy"] = cfg.collect.policy;
  summary["seed"] = cfg.run.seed;
  summary["episodes"] = report.episodes;
  summary["mean_return_100"] = report.MeanLastReturns(100);
  summary["threshold"] =
      spec.ok() && spec->reward_threshold ? Json(*spec->reward_threshold) : Json(nullptr);
  summary["threshold_step"] = nullptr;
  summary["threshold_seconds"] = nullptr;
  summary["env_steps"] = report.steps;
  // this sitting's share (the totals above are the whole dataset's)
  summary["sitting_env_steps"] = report.steps - before.steps;
  summary["sitting_episodes"] = report.episodes - before.episodes;
  summary["actor_restarts"] = sup.restarts("actor");
  summary["acked_steps"] = acked_steps;
  summary["acked_chunks"] = acked_chunks;
  summary["resends"] = resends;
  summary["store_restarts"] = store_restarts;
  summary["shards"] = report.shards.size();
  summary["dataset_ok"] = report.ok();
  // chunks still only in the log: the store did not seal them (stopped while restarting)
  int64_t unsealed = 0;
  for (const auto& l : report.logs) unsealed += l.chunks;
  summary["unsealed_chunks"] = unsealed;
  summary["wall_seconds"] = wall;
  summary["steps_per_second"] = report.steps / std::max(wall, 1e-9);
  summary["dataset"] = "dataset";
  FLEET_RETURN_IF_ERROR(WriteJsonFileAtomically(run_dir + "/summary.json", summary));
  if (!report.ok()) return DataLossError("the collected dataset does not verify; see fleet dataset verify");
  if (unsealed > 0) {
    return FailedPreconditionError(std::to_string(unsealed) + " chunk(s) are only in the store's "
                                   "log, not in a sealed shard: `fleet dataset recover " + run_dir +
                                   "/dataset` seals them");
  }
  return OkStatus();
}

}  // namespace

Status RunCollect(const CollectOptions& o) {
  FLEET_ASSIGN_OR_RETURN(ExperimentConfig cfg, learner::LoadRunConfig(o.config_path, o.overrides));
  FLEET_RETURN_IF_ERROR(CheckEnv(cfg));
  if (cfg.collect.episodes <= 0 && cfg.collect.steps <= 0) {
    return InvalidArgumentError("config key 'collect': set collect.episodes or collect.steps");
  }
  if (cfg.collect.policy == "checkpoint" && !std::filesystem::exists(cfg.collect.checkpoint)) {
    return NotFoundError("config key 'collect.checkpoint': no file '" + cfg.collect.checkpoint + "'");
  }
  if (cfg.collect.policy == "scripted") {
    if (auto c = envs::GetScriptedController(cfg.env.id); !c.ok()) {
      return InvalidArgumentError("config key 'collect.policy': 'scripted': " + c.status().message());
    }
  }
  cfg.store.record = true;
  const std::string run_dir =
      o.run_dir.empty() ? DefaultRunDir(cfg.run.name + "-collect") : o.run_dir;
  FLEET_RETURN_IF_ERROR(PrepareTransportKeys(cfg, run_dir));
  FLEET_RETURN_IF_ERROR(PrepareRunDir(cfg, run_dir));
  FLEET_ASSIGN_OR_RETURN(Endpoints ep, Endpoints::Make(cfg.run));
  FLEET_ASSIGN_OR_RETURN(LaunchPlan plan, BuildCollectPlan(cfg, run_dir, ep));
  // a collect resumed into the same folder continues its dataset: what was there before
  Before before;
  if (std::filesystem::exists(run_dir + "/dataset")) {
    if (auto r = replay::InspectDataset(run_dir + "/dataset"); r.ok()) {
      before.steps = r->steps;
      before.episodes = r->episodes;
    }
  }
  // the actors' counts are this sitting's: an earlier sitting's files go
  for (int i = 0; i < cfg.actors.count; ++i) {
    std::error_code ec;
    std::filesystem::remove(ActorStatsPath(run_dir, i), ec);
  }
  FLEET_ASSIGN_OR_RETURN(std::unique_ptr<Launcher> launcher,
                         MakeLauncher(o.launcher, o.bin_dir, run_dir + "/logs"));
  Supervisor sup(std::move(plan), *launcher);
  std::ofstream csv(run_dir + "/metrics.csv", std::ios::trunc);
  csv << "wall_seconds,env_steps,episodes,steps_per_second,store_restarts\n";
  const auto start = Clock::now();
  FLEET_RETURN_IF_ERROR(Supervise(cfg, run_dir, ep, sup, csv));
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  FLEET_RETURN_IF_ERROR(WriteSummary(cfg, run_dir, wall, sup, before, csv));
  PrintSummary("collected", run_dir);
  return OkStatus();
}

}  // namespace fleet::orchestrator
