#include "learner/learner.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <thread>
#include <tuple>

#include "learner/event_writer.h"

#include <zmq.hpp>

#include "common/logging.h"
#include "common/signals.h"
#include "common/zmq_util.h"
#include "envs/registry.h"
#include "learner/ppo.h"
#include "learner/run_metrics.h"
#include "learner/weights.h"

namespace fleet::learner {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

SegmentView ViewOf(const proto::TrajectoryChunk& c) {
  SegmentView s;
  s.num_steps = static_cast<int>(c.num_steps());
  s.num_envs = static_cast<int>(c.num_envs());
  s.observations = {c.observations().data(), static_cast<size_t>(c.observations_size())};
  s.discrete_actions = {c.discrete_actions().data(), static_cast<size_t>(c.discrete_actions_size())};
  s.continuous_actions = {c.continuous_actions().data(),
                          static_cast<size_t>(c.continuous_actions_size())};
  s.rewards = {c.rewards().data(), static_cast<size_t>(c.rewards_size())};
  s.terminated = {reinterpret_cast<const uint8_t*>(c.terminated().data()), c.terminated().size()};
  s.truncated = {reinterpret_cast<const uint8_t*>(c.truncated().data()), c.truncated().size()};
  s.logprobs = {c.logprobs().data(), static_cast<size_t>(c.logprobs_size())};
  s.next_observations = {c.next_observations().data(),
                         static_cast<size_t>(c.next_observations_size())};
  s.final_indices = {c.final_indices().data(), static_cast<size_t>(c.final_indices_size())};
  s.final_observations = {c.final_observations().data(),
                          static_cast<size_t>(c.final_observations_size())};
  return s;
}

PpoOptions ToPpoOptions(const ExperimentConfig& cfg) {
  const auto& p = cfg.learner.ppo;
  PpoOptions o;
  o.learning_rate = p.learning_rate;
  o.gamma = p.gamma;
  o.gae_lambda = p.gae_lambda;
  o.num_minibatches = p.num_minibatches;
  o.update_epochs = p.update_epochs;
  o.norm_adv = p.norm_adv;
  o.clip_coef = p.clip_coef;
  o.clip_vloss = p.clip_vloss;
  o.ent_coef = p.ent_coef;
  o.vf_coef = p.vf_coef;
  o.max_grad_norm = p.max_grad_norm;
  o.target_kl = p.target_kl;
  o.bootstrap_truncated = p.bootstrap_truncated;
  o.norm_obs = p.norm_obs;
  o.clip_obs = static_cast<float>(p.clip_obs);
  o.seed = static_cast<uint64_t>(cfg.run.seed);
  o.device = cfg.learner.device;
  return o;
}

class Learner {
 public:
  Learner(const LearnerOptions& o, const envs::EnvSpec& spec, const NetworkOptions& net)
      : o_(o),
        log_(GetLogger("learner")),
        spec_(spec),
        ppo_(net, ToPpoOptions(o.config)),
        metrics_(spec.reward_threshold,
                 o.start_unix_ms > 0 ? std::chrono::system_clock::time_point(
                                           std::chrono::milliseconds(o.start_unix_ms))
                                     : std::chrono::system_clock::now()),
        reward_scaler_(o.config.learner.ppo.gamma, static_cast<float>(o.config.learner.ppo.clip_reward)),
        rollout_(ctx_, zmq::socket_type::dealer),
        weights_(ctx_, zmq::socket_type::pub),
        stats_(ctx_, zmq::socket_type::pub) {
    zmqu::Configure(rollout_);
    zmqu::Configure(weights_, 4);
    zmqu::Configure(stats_, 16);
    rollout_.connect(o.rollout_endpoint);
    weights_.bind(o.weights_endpoint);
    if (!o.stats_endpoint.empty()) stats_.bind(o.stats_endpoint);
  }

  Status Run();

 private:
  // the current policy as actors evaluate it, with the observation normalizer if any.
  proto::PolicyWeights Weights();
  void PublishWeights(bool stop = false);
  void PublishStats(bool done, double policy_lag, const proto::StoreStats& store);
  Status Finish(const proto::StoreStats& store);
  Status SaveCheckpoint();
  Status LoadCheckpoint();

  const LearnerOptions& o_;
  std::shared_ptr<spdlog::logger> log_;
  envs::EnvSpec spec_;
  Ppo ppo_;
  RunMetrics metrics_;
  RewardScaler reward_scaler_;
  zmq::context_t ctx_{1};
  zmq::socket_t rollout_, weights_, stats_;
  uint64_t version_ = 0;
  int64_t updates_ = 0;
  Clock::time_point last_publish_;
  std::string weights_bytes_;
  // observation statistics shipped with the latest weight versions (norm_obs).
  std::map<uint64_t, RunningMeanStd> shipped_obs_rms_;
};

proto::PolicyWeights Learner::Weights() {
  proto::PolicyWeights w = ExportWeights(ppo_.model(), version_);
  if (const RunningMeanStd* rms = ppo_.obs_rms()) {
    // what actors on this version normalize with; the update normalizes their chunks alike.
    shipped_obs_rms_.insert_or_assign(version_, *rms);
    const size_t keep = static_cast<size_t>(o_.config.store.max_policy_lag) + 2;
    while (shipped_obs_rms_.size() > keep) shipped_obs_rms_.erase(shipped_obs_rms_.begin());
    auto* n = w.mutable_obs_normalizer();
    n->mutable_mean()->Add(rms->mean().begin(), rms->mean().end());
    n->mutable_var()->Add(rms->var().begin(), rms->var().end());
    n->set_count(rms->count());
    n->set_clip(ppo_.clip_obs());
  }
  return w;
}

void Learner::PublishWeights(bool stop) {
  proto::PolicyWeights w = Weights();
  w.set_stop(stop);
  weights_bytes_ = w.SerializeAsString();
  zmq::message_t msg(weights_bytes_.data(), weights_bytes_.size());
  (void)weights_.send(msg, zmq::send_flags::dontwait);
  last_publish_ = Clock::now();
}

void Learner::PublishStats(bool done, double policy_lag, const proto::StoreStats& store) {
  if (o_.stats_endpoint.empty()) return;
  proto::LearnerStats s;
  s.set_policy_version(version_);
  s.set_env_steps(metrics_.env_steps());
  s.set_wall_seconds(metrics_.wall_seconds());
  s.set_episodes(metrics_.episodes());
  s.set_mean_return_100(metrics_.mean_return_100());
  s.set_steps_per_second(metrics_.env_steps() / std::max(1e-9, metrics_.wall_seconds()));
  s.set_mean_policy_lag(policy_lag);
  *s.mutable_store() = store;
  s.set_done(done);
  (void)zmqu::SendProto(stats_, s);
}

namespace fs = std::filesystem;

std::string Join(const std::vector<double>& v) {
  std::ostringstream out;
  out.precision(17);
  for (double x : v) out << " " << x;
  return out.str();
}

std::vector<double> ParseDoubles(std::istringstream& in) {
  std::vector<double> v;
  for (double x; in >> x;) v.push_back(x);
  return v;
}

// Removes `dir` and the files directly in it (checkpoint folders hold no subfolders).
// Deliberately POSIX rather than std::filesystem::remove_all: PyTorch's wheels export
// their own copy of libstdc++'s std::filesystem from libtorch_cpu.so, and remove_all then
// runs that copy's code against the system library's directory iterator and crashes
// (seen with torch 2.11.0+cu130 on the second checkpoint of a run).
void RemoveCheckpointDir(const fs::path& dir) {
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") ::unlink((dir.string() + "/" + name).c_str());
    }
    ::closedir(d);
  }
  ::rmdir(dir.c_str());
}

Status Learner::SaveCheckpoint() {
  const fs::path dir = fs::path(o_.run_dir) / "checkpoints";
  const fs::path tmp = dir / "latest.tmp", latest = dir / "latest";
  RemoveCheckpointDir(tmp);
  fs::create_directories(tmp);
  torch::serialize::OutputArchive model_archive, optim_archive;
  ppo_.model()->save(model_archive);
  model_archive.save_to((tmp / "model.pt").string());
  ppo_.optimizer().save(optim_archive);
  optim_archive.save_to((tmp / "optimizer.pt").string());
  {
    std::ofstream out(tmp / "policy.pb", std::ios::binary);
    Weights().SerializeToOstream(&out);
  }
  {
    std::ofstream out(tmp / "run_state.txt");
    out << metrics_.SaveState();
  }
  {
    std::ofstream out(tmp / "learner_state.txt");
    out.precision(17);
    const auto& o = ppo_.mutable_obs_rms();
    const auto& r = reward_scaler_.stats();
    out << "version " << version_ << "\nupdates " << updates_ << "\nobs_mean" << Join(o.mean())
        << "\nobs_var" << Join(o.var()) << "\nobs_count " << o.count() << "\nreward_var"
        << Join(r.var()) << "\nreward_count " << r.count() << "\n";
    if (!out) return UnavailableError("cannot write the checkpoint in " + tmp.string());
  }
  // replace latest in one rename: a crash leaves the old or the new one, never half.
  const fs::path old = dir / "latest.old";
  RemoveCheckpointDir(old);
  if (fs::exists(latest)) fs::rename(latest, old);
  fs::rename(tmp, latest);
  RemoveCheckpointDir(old);
  return OkStatus();
}

Status Learner::LoadCheckpoint() {
  const fs::path dir = fs::path(o_.run_dir) / "checkpoints" / "latest";
  if (!fs::exists(dir / "learner_state.txt")) {
    return NotFoundError("no checkpoint to resume from in " + dir.string());
  }
  try {
    torch::serialize::InputArchive model_archive, optim_archive;
    model_archive.load_from((dir / "model.pt").string());
    ppo_.model()->load(model_archive);
    optim_archive.load_from((dir / "optimizer.pt").string());
    ppo_.optimizer().load(optim_archive);
  } catch (const c10::Error& e) {
    return DataLossError("cannot load the checkpoint in " + dir.string() + ": " +
                         e.what_without_backtrace());
  }
  std::ifstream run_state(dir / "run_state.txt");
  FLEET_RETURN_IF_ERROR(metrics_.RestoreState(
      std::string(std::istreambuf_iterator<char>(run_state), {})));
  std::ifstream in(dir / "learner_state.txt");
  std::vector<double> obs_mean, obs_var, reward_var;
  double obs_count = 1e-4, reward_count = 1e-4;
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string key;
    f >> key;
    if (key == "version") f >> version_;
    else if (key == "updates") f >> updates_;
    else if (key == "obs_mean") obs_mean = ParseDoubles(f);
    else if (key == "obs_var") obs_var = ParseDoubles(f);
    else if (key == "obs_count") f >> obs_count;
    else if (key == "reward_var") reward_var = ParseDoubles(f);
    else if (key == "reward_count") f >> reward_count;
  }
  if (static_cast<int>(obs_mean.size()) != ppo_.mutable_obs_rms().dim() ||
      obs_var.size() != obs_mean.size() || reward_var.size() != 1) {
    return DataLossError("checkpoint learner state does not match this run's shapes");
  }
  ppo_.mutable_obs_rms().Set(obs_mean, obs_var, obs_count);
  reward_scaler_.mutable_stats().Set({0.0}, reward_var, reward_count);
  torch::manual_seed(static_cast<uint64_t>(o_.config.run.seed) + 1000003ull * updates_);
  log_->info("resumed from {} at update {}, {} env steps", dir.string(), updates_,
             metrics_.env_steps());
  return OkStatus();
}

Status Learner::Finish(const proto::StoreStats& store) {
  FLEET_RETURN_IF_ERROR(SaveCheckpoint());
  const std::string ckpt_dir = o_.run_dir + "/checkpoints";
  std::filesystem::create_directories(ckpt_dir);
  torch::serialize::OutputArchive model_archive;
  ppo_.model()->save(model_archive);
  model_archive.save_to(ckpt_dir + "/final_model.pt");
  torch::serialize::OutputArchive optim_archive;
  ppo_.optimizer().save(optim_archive);
  optim_archive.save_to(ckpt_dir + "/final_optimizer.pt");
  {
    std::ofstream out(ckpt_dir + "/final_policy.pb", std::ios::binary | std::ios::trunc);
    Weights().SerializeToOstream(&out);
  }
  FLEET_RETURN_IF_ERROR(metrics_.WriteSummary(
      o_.run_dir + "/summary.json",
      {{"env_id", spec_.id},
       {"seed", o_.config.run.seed},
       {"algo", "ppo"},
       {"updates", updates_},
       {"policy_version", version_},
       {"steps_per_second", metrics_.env_steps() / std::max(1e-9, metrics_.wall_seconds())},
       {"store_rejected_chunks", store.rejected_chunks()},
       {"store_dropped_stale_chunks", store.dropped_stale_chunks()},
       {"checkpoint", "checkpoints/final_model.pt"}}));
  // tell the actors to stop; PUB has no delivery guarantee, so repeat briefly.
  for (int i = 0; i < 5; ++i) {
    PublishWeights(/*stop=*/true);
    PublishStats(/*done=*/true, 0.0, store);
    std::this_thread::sleep_for(milliseconds(20));
  }
  log_->info("done: {} env steps, {} updates, mean_return_100 {:.1f}, {:.1f} s",
             metrics_.env_steps(), updates_, metrics_.mean_return_100(), metrics_.wall_seconds());
  return OkStatus();
}

Status Learner::Run() {
  const auto& cfg = o_.config;
  if (o_.resume) FLEET_RETURN_IF_ERROR(LoadCheckpoint());
  FLEET_RETURN_IF_ERROR(
      metrics_.OpenCsv(o_.run_dir + "/metrics.csv", o_.resume ? updates_ : -1));
  FLEET_ASSIGN_OR_RETURN(auto events, EventWriter::Create(o_.run_dir));
  const int chunks = cfg.ChunksPerUpdate();
  const int64_t batch_steps = int64_t{chunks} * cfg.actors.steps_per_chunk * cfg.env.num_envs;
  const int64_t num_updates = (cfg.learner.total_env_steps + batch_steps - 1) / batch_steps;
  log_->info("PPO on {} ({}), {} updates of {} steps, device {}", spec_.id,
             spec_.action_space.ToString(), num_updates, batch_steps, ppo_.device().str());
  PublishWeights();

  proto::StoreStats store_stats;
  std::vector<zmq::message_t> frames;
  std::vector<proto::TrajectoryChunk> batch;
  while (metrics_.env_steps() < cfg.learner.total_env_steps && !StopRequested()) {
    proto::RolloutRequest req;
    req.set_learner_version(version_);
    req.set_num_chunks(chunks);
    FLEET_RETURN_IF_ERROR(zmqu::SendProto(rollout_, req));
    bool got = false;
    while (!got && !StopRequested()) {
      if (zmqu::WaitReadable(rollout_, milliseconds(50))) got = zmqu::RecvMultipart(rollout_, frames);
      // late joiners miss a PUB message: repeat the weights, often until the first
      // rollout shows that the actors have them.
      const auto every = updates_ == 0 ? milliseconds(10) : milliseconds(250);
      if (Clock::now() - last_publish_ > every) PublishWeights();
    }
    if (!got) break;
    proto::RolloutHeader header;
    FLEET_RETURN_IF_ERROR(zmqu::ParseProto(frames[0], header));
    if (frames.size() != header.num_chunks() + 1) {
      return DataLossError("rollout reply has " + std::to_string(frames.size() - 1) +
                           " chunk frames, header says " + std::to_string(header.num_chunks()));
    }
    store_stats = header.stats();
    metrics_.AddEnvSteps(static_cast<int64_t>(header.dropped_steps()));
    for (int i = 0; i < header.dropped_episode_returns_size(); ++i) {
      metrics_.AddEpisode(header.dropped_episode_returns(i), header.dropped_episode_lengths(i));
    }
    batch.resize(header.num_chunks());
    for (size_t i = 0; i < batch.size(); ++i) {
      FLEET_RETURN_IF_ERROR(zmqu::ParseProto(frames[i + 1], batch[i]));
    }
    // arrival order between actors is up to the OS; a fixed order keeps synchronous runs
    // deterministic under a seed.
    std::sort(batch.begin(), batch.end(), [](const auto& a, const auto& b) {
      return std::make_tuple(a.actor_id(), a.sequence()) < std::make_tuple(b.actor_id(), b.sequence());
    });
    if (cfg.learner.ppo.norm_reward) {
      for (auto& c : batch) {
        reward_scaler_.Scale(c.actor_id(), static_cast<int>(c.num_steps()),
                             static_cast<int>(c.num_envs()),
                             {c.mutable_rewards()->mutable_data(), static_cast<size_t>(c.rewards_size())},
                             {reinterpret_cast<const uint8_t*>(c.terminated().data()), c.terminated().size()},
                             {reinterpret_cast<const uint8_t*>(c.truncated().data()), c.truncated().size()});
      }
    }
    std::vector<SegmentView> segments;
    double lag_sum = 0.0;
    for (const auto& c : batch) {
      segments.push_back(ViewOf(c));
      if (auto it = shipped_obs_rms_.find(c.policy_version()); it != shipped_obs_rms_.end()) {
        segments.back().obs_rms = &it->second;
      }
      lag_sum += static_cast<double>(version_ - std::min(version_, c.policy_version()));
      metrics_.AddEnvSteps(int64_t{c.num_steps()} * c.num_envs());
      for (int k = 0; k < c.episode_returns_size(); ++k) {
        metrics_.AddEpisode(c.episode_returns(k), c.episode_lengths(k));
      }
    }
    metrics_.CheckThreshold();
    const double lr_frac =
        cfg.learner.ppo.anneal_lr
            ? std::max(0.0, 1.0 - static_cast<double>(updates_) / static_cast<double>(num_updates))
            : 1.0;
    const auto t_update = Clock::now();
    UpdateStats st = ppo_.Update(segments, lr_frac);
    const double update_s = std::chrono::duration<double>(Clock::now() - t_update).count();
    ++updates_;
    ++version_;
    PublishWeights();
    const double lag = lag_sum / std::max<size_t>(1, batch.size());
    PublishStats(false, lag, store_stats);
    const double sps = metrics_.env_steps() / std::max(1e-9, metrics_.wall_seconds());
    FLEET_RETURN_IF_ERROR(metrics_.WriteRow({
        {"update", static_cast<double>(updates_)},
        {"policy_version", static_cast<double>(version_)},
        {"env_steps", static_cast<double>(metrics_.env_steps())},
        {"wall_seconds", metrics_.wall_seconds()},
        {"episodes", static_cast<double>(metrics_.episodes())},
        {"mean_return_100", metrics_.mean_return_100()},
        {"steps_per_second", sps},
        {"policy_lag", lag},
        {"policy_loss", st.policy_loss},
        {"value_loss", st.value_loss},
        {"entropy", st.entropy},
        {"approx_kl", st.approx_kl},
        {"clip_fraction", st.clip_fraction},
        {"explained_variance", st.explained_variance},
        {"learning_rate", st.learning_rate},
        {"update_seconds", update_s},
        {"store_rejected_chunks", static_cast<double>(store_stats.rejected_chunks())},
        {"store_dropped_stale_chunks", static_cast<double>(store_stats.dropped_stale_chunks())},
    }));
    // TensorBoard, against env steps, with CleanRL's tag names where it has them.
    FLEET_RETURN_IF_ERROR(events->WriteScalars(
        metrics_.env_steps(), {{"charts/mean_return_100", metrics_.mean_return_100()},
                               {"charts/mean_length_100", metrics_.mean_length_100()},
                               {"charts/episodes", static_cast<double>(metrics_.episodes())},
                               {"charts/SPS", sps},
                               {"charts/learning_rate", st.learning_rate},
                               {"charts/policy_lag", lag},
                               {"losses/policy_loss", st.policy_loss},
                               {"losses/value_loss", st.value_loss},
                               {"losses/entropy", st.entropy},
                               {"losses/approx_kl", st.approx_kl},
                               {"losses/clipfrac", st.clip_fraction},
                               {"losses/explained_variance", st.explained_variance}}));
    if (cfg.learner.checkpoint_every > 0 && updates_ % cfg.learner.checkpoint_every == 0) {
      FLEET_RETURN_IF_ERROR(SaveCheckpoint());
    }
    if (cfg.run.stop_at_threshold && metrics_.threshold_step()) {
      log_->info("reached the reward threshold {} at {} env steps", *metrics_.threshold(),
                 *metrics_.threshold_step());
      break;
    }
  }
  return Finish(store_stats);
}

}  // namespace

Status LearnerOptions::Validate() const {
  if (run_dir.empty()) return InvalidArgumentError("learner needs --run-dir");
  if (rollout_endpoint.empty()) return InvalidArgumentError("learner needs --rollout");
  if (weights_endpoint.empty()) return InvalidArgumentError("learner needs --weights");
  return config.Validate();
}

Status RunLearner(const LearnerOptions& options) {
  FLEET_RETURN_IF_ERROR(options.Validate());
  const auto& cfg = options.config;
  FLEET_ASSIGN_OR_RETURN(auto spec, envs::GetSpec(cfg.env.id, cfg.env.options));
  torch::set_num_threads(cfg.learner.threads);
  ConfigureCpuForTraining();
  NetworkOptions net;
  net.obs_dim = spec.observation_space.FlatDim();
  net.discrete = spec.action_space.is_discrete();
  net.action_dim = net.discrete ? static_cast<int>(spec.action_space.n) : spec.action_space.FlatDim();
  net.hidden = cfg.learner.network.hidden;
  net.activation = cfg.learner.network.activation;
  net.init = cfg.learner.network.init;
  net.log_std_init = cfg.learner.network.log_std_init;
  if (cfg.learner.device == "cuda" && !torch::cuda::is_available()) {
    return FailedPreconditionError("learner.device is 'cuda' but no CUDA device is available "
                                   "to this libtorch build");
  }
  std::filesystem::create_directories(options.run_dir);
  try {
    Learner learner(options, spec, net);
    return learner.Run();
  } catch (const zmq::error_t& e) {
    return UnavailableError(std::string("learner socket error: ") + e.what());
  } catch (const c10::Error& e) {
    return InternalError(std::string("libtorch error: ") + e.what_without_backtrace());
  }
}

}  // namespace fleet::learner
