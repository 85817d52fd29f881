#include "learner/learner.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <zmq.hpp>

#include "common/logging.h"
#include "common/heartbeat.h"
#include "common/signals.h"
#include "envs/registry.h"
#include "learner/algorithm.h"
#include "learner/broadcaster.h"
#include "learner/checkpoint.h"
#include "learner/evaluations.h"
#include "learner/event_writer.h"
#include "learner/rollout_source.h"
#include "learner/run_metrics.h"
#include "learner/torch_runtime.h"

namespace fleet::learner {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The learner role around one Algorithm: batches from a RolloutSource, an update each,
// weights broadcast after it, metrics.csv / TensorBoard rows, checkpoints, summary.json.
class LearnerRole {
 public:
  // `offline`: the dataset of a BatchSource::kOffline algorithm; null for rollouts and
  // replay samples (both from the store).
  LearnerRole(const LearnerOptions& o, const envs::EnvSpec& spec, std::unique_ptr<Algorithm> algo,
              OfflineSource* offline)
      : o_(o),
        cfg_(o.config),
        log_(GetLogger("learner")),
        spec_(spec),
        algo_(std::move(algo)),
        metrics_(spec.reward_threshold,
                 o.start_unix_ms > 0 ? std::chrono::system_clock::time_point(
                                           std::chrono::milliseconds(o.start_unix_ms))
                                     : std::chrono::system_clock::now()),
        offline_(offline),
        broadcast_(ctx_, o.weights_endpoint, o.stats_endpoint) {
    if (!offline_) rollouts_ = std::make_unique<RolloutSource>(ctx_, o.rollout_endpoint, cfg_.ChunksPerUpdate());
    if (offline_ && cfg_.learner.eval_episodes > 0) {
      evals_ = std::make_unique<Evaluations>(cfg_, o.run_dir, o.bin_dir);
    }
  }

  Status Run();

 private:
  Status RunOnline();
  Status RunOffline();
  Status RunReplay();
  // what the role does while it waits for the store: beats, notices a restarted store,
  // repeats the latest weights (often until `first_batch` shows the actors have them).
  void Idle(bool first_batch);
  Status Step(Rollout& rollout, int64_t num_updates);
  // An online update's metrics.csv row and TensorBoard scalars: the role's progress
  // columns, `gauge` (a column and a charts/ scalar: PPO's policy lag, SAC's samples per
  // insert), the algorithm's named metrics, then the `tail` columns.
  Status WriteOnlineRow(const std::vector<double>& values, const std::pair<std::string, double>& gauge,
                        const std::vector<std::pair<std::string, double>>& tail);
  // after update number updates_: checkpoint and policy snapshot when due.
  Status SaveWhenDue();
  // evaluations (offline): start one when due, log those that finished.
  Status EvaluateWhenDue();
  Status LogEvaluation(const EvalRow& row);
  void PublishWeights() { broadcast_.PublishWeights(algo_->ExportPolicy(version_)); }
  void PublishStats(bool done, double policy_lag);
  // RUN_DIR/checkpoints/latest, replaced atomically.
  Status SaveCheckpoint();
  Status LoadCheckpoint();
  Status Finish();

  const LearnerOptions& o_;
  const ExperimentConfig& cfg_;
  std::shared_ptr<spdlog::logger> log_;
  envs::EnvSpec spec_;
  std::unique_ptr<Algorithm> algo_;
  RunMetrics metrics_;
  zmq::context_t ctx_{1};
  std::unique_ptr<RolloutSource> rollouts_;
  int store_reconnects_ = 0;  // rollouts_->store_reconnects() last acted on
  OfflineSource* offline_;
  Broadcaster broadcast_;
  std::unique_ptr<EventWriter> events_;
  std::unique_ptr<Evaluations> evals_;
  std::ofstream evals_csv_;
  std::optional<EvalRow> last_eval_;
  uint64_t version_ = 0;
  int64_t updates_ = 0;
  proto::StoreStats store_;
};

void LearnerRole::PublishStats(bool done, double policy_lag) {
  proto::LearnerStats s;
  s.set_policy_version(version_);
  s.set_env_steps(metrics_.env_steps());
  s.set_wall_seconds(metrics_.wall_seconds());
  s.set_episodes(metrics_.episodes());
  s.set_mean_return_100(metrics_.mean_return_100());
  s.set_steps_per_second(metrics_.env_steps() / std::max(1e-9, metrics_.wall_seconds()));
  s.set_mean_policy_lag(policy_lag);
  *s.mutable_store() = store_;
  s.set_done(done);
  broadcast_.PublishStats(s);
}

Status LearnerRole::SaveCheckpoint() {
  const std::string dir = CheckpointsDir(o_.run_dir), tmp = dir + "/latest.tmp";
  FLEET_RETURN_IF_ERROR(MakeEmptyDir(tmp));
  proto::LearnerCheckpoint state;
  state.set_format_version(kLearnerCheckpointFormat);
  state.set_algo(algo_->info().name);
  state.set_env_id(spec_.id);
  state.set_policy_version(version_);
  state.set_updates(updates_);
  *state.mutable_metrics() = metrics_.SaveState();
  FLEET_RETURN_IF_ERROR(algo_->Save(tmp, "", state.mutable_algorithm_state()));
  FLEET_RETURN_IF_ERROR(
      WriteFile(tmp + "/" + kPolicyFile, algo_->ExportPolicy(version_).SerializeAsString()));
  FLEET_RETURN_IF_ERROR(WriteCheckpointState(tmp, state));
  return ReplaceDir(tmp, LatestCheckpointDir(o_.run_dir));
}

Status LearnerRole::LoadCheckpoint() {
  const std::string dir = FindLatestCheckpoint(o_.run_dir);
  FLEET_ASSIGN_OR_RETURN(CheckpointState cp, ReadCheckpointState(dir));
  for (const auto& w : cp.warnings) log_->warn("{}", w);
  if (cp.state.algo() != algo_->info().name || cp.state.env_id() != spec_.id) {
    return FailedPreconditionError("the checkpoint in " + dir + " is " + cp.state.algo() + " on " +
                                   cp.state.env_id() + ", this run is " + algo_->info().name +
                                   " on " + spec_.id);
  }
  FLEET_RETURN_IF_ERROR(algo_->Restore(dir, cp.state.algorithm_state()));
  FLEET_RETURN_IF_ERROR(metrics_.RestoreState(cp.state.metrics()));
  version_ = cp.state.policy_version();
  updates_ = cp.state.updates();
  algo_->Reseed(static_cast<uint64_t>(cfg_.run.seed) + 1000003ull * static_cast<uint64_t>(updates_));
  log_->info("resumed from {} at update {}, {} env steps", dir, updates_, metrics_.env_steps());
  return OkStatus();
}

Status LearnerRole::Finish() {
  FLEET_RETURN_IF_ERROR(SaveCheckpoint());
  const std::string dir = CheckpointsDir(o_.run_dir);
  std::string unused_state;
  FLEET_RETURN_IF_ERROR(algo_->Save(dir, "final_", &unused_state));
  FLEET_RETURN_IF_ERROR(
      WriteFile(FinalPolicyPath(o_.run_dir), algo_->ExportPolicy(version_).SerializeAsString()));
  if (evals_ && !StopRequested()) {
    // the final policy's evaluation, after the one still running.
    FLEET_ASSIGN_OR_RETURN(std::optional<EvalRow> pending, evals_->Wait(std::chrono::hours(2)));
    if (pending) FLEET_RETURN_IF_ERROR(LogEvaluation(*pending));
    if (!last_eval_ || last_eval_->update != updates_) {
      if (evals_->Start(FinalPolicyPath(o_.run_dir), updates_)) {
        FLEET_ASSIGN_OR_RETURN(std::optional<EvalRow> final_row, evals_->Wait(std::chrono::hours(2)));
        if (final_row) FLEET_RETURN_IF_ERROR(LogEvaluation(*final_row));
      }
    }
  }
  Json extra = {{"env_id", spec_.id},
                {"seed", cfg_.run.seed},
                {"algo", algo_->info().name},
                {"updates", updates_},
                {"policy_version", version_},
                {"checkpoint", "checkpoints/final_model.pt"}};
  if (offline_) {
    const DatasetStats& d = offline_->stats();
    extra["dataset"] = cfg_.learner.dataset;
    extra["dataset_episodes"] = d.episodes;
    extra["dataset_steps"] = d.steps;
    extra["dataset_mean_return"] = d.mean_return;
    extra["updates_per_second"] = updates_ / std::max(1e-9, metrics_.wall_seconds());
    if (last_eval_) {
      extra["eval"] = {{"update", last_eval_->update},
                       {"episodes", cfg_.learner.eval_episodes},
                       {"mean_return", last_eval_->mean},
                       {"std_return", last_eval_->std}};
      if (last_eval_->d4rl_score) extra["eval"]["d4rl_score"] = *last_eval_->d4rl_score;
    }
  } else {
    extra["steps_per_second"] = metrics_.env_steps() / std::max(1e-9, metrics_.wall_seconds());
    extra["store_rejected_chunks"] = store_.rejected_chunks();
    extra["store_dropped_stale_chunks"] = store_.dropped_stale_chunks();
  }
  FLEET_RETURN_IF_ERROR(metrics_.WriteSummary(o_.run_dir + "/summary.json", extra));
  // tell the actors to stop; PUB has no delivery guarantee, so repeat briefly.
  proto::PolicyWeights stop = algo_->ExportPolicy(version_);
  stop.set_stop(true);
  for (int i = 0; i < 5; ++i) {
    broadcast_.PublishWeights(stop);
    PublishStats(/*done=*/true, 0.0);
    std::this_thread::sleep_for(milliseconds(20));
  }
  log_->info("done: {} env steps, {} updates, mean_return_100 {:.1f}, {:.1f} s",
             metrics_.env_steps(), updates_, metrics_.mean_return_100(), metrics_.wall_seconds());
  return OkStatus();
}

Status LearnerRole::Step(Rollout& rollout, int64_t num_updates) {
  store_ = rollout.store;
  metrics_.AddEnvSteps(static_cast<int64_t>(rollout.dropped_steps));
  for (size_t i = 0; i < rollout.dropped_episode_returns.size(); ++i) {
    metrics_.AddEpisode(rollout.dropped_episode_returns[i], rollout.dropped_episode_lengths[i]);
  }
  double lag_sum = 0.0;
  for (const auto& c : rollout.chunks) {
    lag_sum += static_cast<double>(version_ - std::min(version_, c.policy_version()));
    metrics_.AddEnvSteps(int64_t{c.num_steps()} * c.num_envs());
    for (int k = 0; k < c.episode_returns_size(); ++k) {
      metrics_.AddEpisode(c.episode_returns(k), c.episode_lengths(k));
    }
  }
  metrics_.CheckThreshold();
  RolloutBatch batch{std::move(rollout.chunks)};
  const auto t_update = Clock::now();
  FLEET_ASSIGN_OR_RETURN(std::vector<double> values,
                         algo_->Update(batch, {updates_, num_updates}));
  const double update_s = std::chrono::duration<double>(Clock::now() - t_update).count();
  ++updates_;
  ++version_;
  PublishWeights();
  const double lag = lag_sum / std::max<size_t>(1, batch.chunks.size());
  PublishStats(false, lag);
  FLEET_RETURN_IF_ERROR(WriteOnlineRow(
      values, {"policy_lag", lag},
      {{"update_seconds", update_s},
       {"store_rejected_chunks", static_cast<double>(store_.rejected_chunks())},
       {"store_dropped_stale_chunks", static_cast<double>(store_.dropped_stale_chunks())}}));
  return SaveWhenDue();
}

Status LearnerRole::WriteOnlineRow(const std::vector<double>& values,
                                   const std::pair<std::string, double>& gauge,
                                   const std::vector<std::pair<std::string, double>>& tail) {
  const double sps = metrics_.env_steps() / std::max(1e-9, metrics_.wall_seconds());
  std::vector<std::pair<std::string, double>> row = {
      {"update", static_cast<double>(updates_)},
      {"policy_version", static_cast<double>(version_)},
      {"env_steps", static_cast<double>(metrics_.env_steps())},
      {"wall_seconds", metrics_.wall_seconds()},
      {"episodes", static_cast<double>(metrics_.episodes())},
      {"mean_return_100", metrics_.mean_return_100()},
      {"steps_per_second", sps},
      gauge};
  // TensorBoard, against env steps, with CleanRL's tag names where it has them.
  std::vector<std::pair<std::string, double>> scalars = {
      {"charts/mean_return_100", metrics_.mean_return_100()},
      {"charts/mean_length_100", metrics_.mean_length_100()},
      {"charts/episodes", static_cast<double>(metrics_.episodes())},
      {"charts/SPS", sps},
      {"charts/" + gauge.first, gauge.second}};
  const auto& specs = algo_->metrics();
  if (values.size() != specs.size()) {
    return InternalError("the algorithm reported " + std::to_string(values.size()) +
                         " metrics for " + std::to_string(specs.size()) + " names");
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    row.emplace_back(specs[i].column, values[i]);
    scalars.emplace_back(specs[i].tag, values[i]);
  }
  row.insert(row.end(), tail.begin(), tail.end());
  FLEET_RETURN_IF_ERROR(metrics_.WriteRow(row));
  return events_->WriteScalars(metrics_.env_steps(), scalars);
}

Status LearnerRole::SaveWhenDue() {
  if (cfg_.learner.checkpoint_every > 0 && updates_ % cfg_.learner.checkpoint_every == 0) {
    FLEET_RETURN_IF_ERROR(SaveCheckpoint());
  }
  if (cfg_.learner.policy_snapshot_every > 0 && updates_ % cfg_.learner.policy_snapshot_every == 0) {
    FLEET_RETURN_IF_ERROR(WriteFile(PolicySnapshotPath(o_.run_dir, version_),
                                    algo_->ExportPolicy(version_).SerializeAsString()));
  }
  return OkStatus();
}

Status LearnerRole::LogEvaluation(const EvalRow& row) {
  if (!evals_csv_.is_open()) {
    const std::string path = o_.run_dir + "/evals.csv";
    const bool fresh = !std::filesystem::exists(path);
    evals_csv_.open(path, std::ios::app);
    if (fresh) evals_csv_ << "update,wall_seconds,mean_return,std_return,d4rl_score,eval_seconds\n";
  }
  evals_csv_ << row.update << "," << metrics_.wall_seconds() << "," << row.mean << "," << row.std
             << "," << (row.d4rl_score ? std::to_string(*row.d4rl_score) : "") << ","
             << row.seconds << std::endl;
  std::vector<std::pair<std::string, double>> scalars = {{"eval/mean_return", row.mean}};
  if (row.d4rl_score) scalars.emplace_back("eval/d4rl_score", *row.d4rl_score);
  FLEET_RETURN_IF_ERROR(events_->WriteScalars(row.update, scalars));
  log_->info("evaluation at update {}: return {:.1f} +- {:.1f}{}", row.update, row.mean, row.std,
             row.d4rl_score ? fmt::format(", D4RL-normalized {:.1f}", *row.d4rl_score) : "");
  last_eval_ = row;
  return OkStatus();
}

Status LearnerRole::EvaluateWhenDue() {
  if (!evals_) return OkStatus();
  // a failed evaluation along the way is reported, not a reason to stop training.
  StatusOr<std::optional<EvalRow>> row = evals_->Poll();
  if (!row.ok()) log_->error("{}", row.status().ToString());
  if (row.ok() && *row) FLEET_RETURN_IF_ERROR(LogEvaluation(**row));
  if (cfg_.learner.eval_every > 0 && updates_ % cfg_.learner.eval_every == 0 && !evals_->running()) {
    const std::string pb = PolicySnapshotPath(o_.run_dir, version_);
    FLEET_RETURN_IF_ERROR(WriteFile(pb, algo_->ExportPolicy(version_).SerializeAsString()));
    evals_->Start(pb, updates_);
  }
  return OkStatus();
}

Status LearnerRole::RunOffline() {
  const OfflinePlan plan = algo_->offline_plan();
  const DatasetStats& d = offline_->stats();
  log_->info("{}: {} updates of {} windows of {} steps from {} ({} episodes, {} steps, mean "
             "return {:.1f}; cache {} MB)",
             algo_->Describe(), plan.updates, plan.batch_size, plan.context_len,
             cfg_.learner.dataset, d.episodes, d.steps, d.mean_return, cfg_.learner.dataset_cache_mb);
  // the windows' generator; a resumed run reseeds it from (seed, updates).
  std::mt19937_64 rng(static_cast<uint64_t>(cfg_.run.seed) * 0x9E3779B97F4A7C15ull +
                      static_cast<uint64_t>(updates_));
  WindowBatch batch;
  double update_seconds = 0.0;
  int in_row = 0;
  while (updates_ < plan.updates && !StopRequested()) {
    Beat();  // the orchestrator's liveness check (common/heartbeat.h)
    FLEET_RETURN_IF_ERROR(offline_->Next(plan.batch_size, plan.context_len, rng, batch));
    const auto t0 = Clock::now();
    FLEET_ASSIGN_OR_RETURN(std::vector<double> values, algo_->Update(batch, {updates_, plan.updates}));
    update_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    ++in_row;
    ++updates_;
    ++version_;
    if (updates_ % plan.log_every == 0 || updates_ == plan.updates) {
      const double wall = metrics_.wall_seconds();
      std::vector<std::pair<std::string, double>> row = {
          {"update", static_cast<double>(updates_)},
          {"wall_seconds", wall},
          {"updates_per_second", static_cast<double>(updates_) / std::max(1e-9, wall)}};
      std::vector<std::pair<std::string, double>> scalars = {
          {"charts/updates_per_second", row.back().second}};
      const auto& specs = algo_->metrics();
      for (size_t i = 0; i < specs.size() && i < values.size(); ++i) {
        row.emplace_back(specs[i].column, values[i]);
        scalars.emplace_back(specs[i].tag, values[i]);
      }
      row.emplace_back("update_seconds", update_seconds / in_row);
      FLEET_RETURN_IF_ERROR(metrics_.WriteRow(row));
      // TensorBoard against gradient steps.
      FLEET_RETURN_IF_ERROR(events_->WriteScalars(updates_, scalars));
      update_seconds = 0.0;
      in_row = 0;
      PublishStats(false, 0.0);
    }
    FLEET_RETURN_IF_ERROR(SaveWhenDue());
    FLEET_RETURN_IF_ERROR(EvaluateWhenDue());
  }
  return OkStatus();
}

Status LearnerRole::Run() {
  bool resume = o_.resume;
  if (o_.restarted) {
    resume = ReadCheckpointState(FindLatestCheckpoint(o_.run_dir)).ok();
    log_->warn("started again after a crash: {}",
               resume ? "resuming from the latest checkpoint" : "no checkpoint yet, starting over");
  }
  if (resume) FLEET_RETURN_IF_ERROR(LoadCheckpoint());
  FLEET_RETURN_IF_ERROR(metrics_.OpenCsv(o_.run_dir + "/metrics.csv", resume ? updates_ : -1));
  // evaluations made after the checkpoint are made again; a run started over has none yet
  if (resume) {
    FLEET_RETURN_IF_ERROR(TrimCsvToUpdate(o_.run_dir + "/evals.csv", updates_));
  } else {
    std::filesystem::remove(o_.run_dir + "/evals.csv");
  }
  FLEET_ASSIGN_OR_RETURN(events_, EventWriter::Create(o_.run_dir));
  if (offline_) {
    FLEET_RETURN_IF_ERROR(RunOffline());
  } else if (algo_->info().source == BatchSource::kReplay) {
    FLEET_RETURN_IF_ERROR(RunReplay());
  } else {
    FLEET_RETURN_IF_ERROR(RunOnline());
  }
  return Finish();
}

void LearnerRole::Idle(bool first_batch) {
  Beat();  // waiting for a batch is not a hang
  if (rollouts_->store_reconnects() != store_reconnects_) {
    // a restarted store: the chunks it held for this batch are gone. A new weights
    // epoch lets the actors (a synchronous one waits for newer weights) send again.
    store_reconnects_ = rollouts_->store_reconnects();
    log_->warn("the store's connection came back (a restarted store): batch asked for "
               "again, weights v{} republished under a new epoch", version_);
    broadcast_.NewEpoch();
  }
  // late joiners miss a PUB message: repeat the weights
  broadcast_.RepublishIfDue(first_batch ? milliseconds(10) : milliseconds(250));
}

Status LearnerRole::RunReplay() {
  const ReplayPlan plan = algo_->replay_plan();
  log_->info("{}: samples of {} transitions from the store's replay table until {} env steps; "
             "new weights every {} updates",
             algo_->Describe(), plan.batch_size, cfg_.learner.total_env_steps, plan.publish_every);
  PublishWeights();  // before its first update: uniform random actions (the warm-up)
  double update_seconds = 0.0;
  int in_row = 0;
  while (metrics_.env_steps() < cfg_.learner.total_env_steps && !StopRequested()) {
    FLEET_ASSIGN_OR_RETURN(std::optional<ReplaySample> sample,
                           rollouts_->NextSample(plan.batch_size, [&] { Idle(updates_ == 0); }));
    if (!sample) break;
    store_ = sample->store;
    metrics_.AddEnvSteps(static_cast<int64_t>(sample->inserted_steps));
    for (size_t i = 0; i < sample->episode_returns.size(); ++i) {
      metrics_.AddEpisode(sample->episode_returns[i], sample->episode_lengths[i]);
    }
    metrics_.CheckThreshold();
    if (cfg_.replay.prefetch && metrics_.env_steps() < cfg_.learner.total_env_steps) {
      // the store draws the next sample while this update runs
      FLEET_RETURN_IF_ERROR(rollouts_->PrefetchSample(plan.batch_size));
    }
    const auto t0 = Clock::now();
    FLEET_ASSIGN_OR_RETURN(std::vector<double> values, algo_->Update(sample->batch, {updates_, 0}));
    update_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    ++updates_;
    ++in_row;
    if (updates_ == 1 || updates_ % plan.publish_every == 0) {
      ++version_;
      PublishWeights();
    }
    if (updates_ % plan.log_every == 0) {
      const double ratio = store_.replay_inserts() > 0
                               ? static_cast<double>(store_.replay_samples()) / store_.replay_inserts()
                               : 0.0;
      FLEET_RETURN_IF_ERROR(WriteOnlineRow(
          values, {"samples_per_insert", ratio},
          {{"update_seconds", update_seconds / in_row},
           {"replay_size", static_cast<double>(store_.replay_size())},
           {"store_rejected_chunks", static_cast<double>(store_.rejected_chunks())}}));
      update_seconds = 0.0;
      in_row = 0;
      PublishStats(false, 0.0);
    }
    FLEET_RETURN_IF_ERROR(SaveWhenDue());
    Beat();
    if (cfg_.run.stop_at_threshold && metrics_.threshold_step()) {
      log_->info("reached the reward threshold {} at {} env steps", *metrics_.threshold(),
                 *metrics_.threshold_step());
      break;
    }
  }
  return OkStatus();
}

Status LearnerRole::RunOnline() {
  const int64_t batch_steps =
      int64_t{cfg_.ChunksPerUpdate()} * cfg_.actors.steps_per_chunk * cfg_.env.num_envs;
  const int64_t num_updates = (cfg_.learner.total_env_steps + batch_steps - 1) / batch_steps;
  log_->info("{}: {} updates of {} steps", algo_->Describe(), num_updates, batch_steps);
  PublishWeights();
  while (metrics_.env_steps() < cfg_.learner.total_env_steps && !StopRequested()) {
    FLEET_ASSIGN_OR_RETURN(std::optional<Rollout> rollout,
                           rollouts_->Next(version_, [&] { Idle(updates_ == 0); }));
    if (!rollout) break;
    FLEET_RETURN_IF_ERROR(Step(*rollout, num_updates));
    Beat();
    if (cfg_.run.stop_at_threshold && metrics_.threshold_step()) {
      log_->info("reached the reward threshold {} at {} env steps", *metrics_.threshold(),
                 *metrics_.threshold_step());
      break;
    }
  }
  return OkStatus();
}

}  // namespace

Status LearnerOptions::Validate() const {
  if (run_dir.empty()) return InvalidArgumentError("learner needs --run-dir");
  FLEET_ASSIGN_OR_RETURN(const AlgorithmInfo* info, FindAlgorithm(config.learner.algo));
  if (info->source != BatchSource::kOffline) {
    if (rollout_endpoint.empty()) return InvalidArgumentError("learner needs --rollout");
    if (weights_endpoint.empty()) return InvalidArgumentError("learner needs --weights");
  }
  FLEET_RETURN_IF_ERROR(config.Validate());
  return ValidateLearnerConfig(config);
}

Status RunLearner(const LearnerOptions& options) {
  FLEET_RETURN_IF_ERROR(options.Validate());
  const auto& cfg = options.config;
  FLEET_ASSIGN_OR_RETURN(auto spec, envs::GetSpec(cfg.env.id, cfg.env.options));
  ConfigureLearnerProcess(cfg);
  if (cfg.learner.device == "cuda" && !CudaAvailable()) {
    return FailedPreconditionError("learner.device is 'cuda' but no CUDA device is available "
                                   "to this libtorch build");
  }
  if (Status st = MakeDirs(CheckpointsDir(options.run_dir)); !st.ok()) return st;
  // Everything below reports errors as a Status; what libtorch or ZeroMQ throw on the way
  // (a failed allocation, a socket that cannot bind, a checkpoint that cannot be written)
  // is turned into one naming its source, so the role exits with a message, not an abort.
  try {
    FLEET_ASSIGN_OR_RETURN(const AlgorithmInfo* info, FindAlgorithm(cfg.learner.algo));
    std::unique_ptr<OfflineSource> offline;
    if (info->source == BatchSource::kOffline) {
      std::vector<std::string> warnings;
      FLEET_ASSIGN_OR_RETURN(offline, OfflineSource::Open(cfg.learner.dataset, spec,
                                                          cfg.learner.dataset_cache_mb << 20, &warnings));
      for (const auto& w : warnings) GetLogger("learner")->warn("{}", w);
    }
    FLEET_ASSIGN_OR_RETURN(std::unique_ptr<Algorithm> algo,
                           MakeAlgorithm(cfg, spec, offline ? &offline->stats() : nullptr));
    LearnerRole role(options, spec, std::move(algo), offline.get());
    return role.Run();
  } catch (const zmq::error_t& e) {
    return UnavailableError(std::string("learner socket error: ") + e.what());
  } catch (const std::exception& e) {
    return InternalError(std::string("learner error: ") + e.what());
  }
}

}  // namespace fleet::learner
