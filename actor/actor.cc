#include "actor/actor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include <zmq.hpp>

#include "actor/mlp_policy.h"
#include "envs/box2d/lunar_lander.h"
#include "common/json.h"
#include "common/logging.h"
#include "common/signals.h"
#include "common/zmq_util.h"
#include "envs/vector_env.h"
#include "proto/fleet.pb.h"

namespace fleet::actor {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct InFlight {
  uint64_t sequence;
  uint64_t steps;
  std::string bytes;
  Clock::time_point sent_at;
};

uint64_t NewEpoch() {
  std::random_device rd;
  const uint64_t t = static_cast<uint64_t>(Clock::now().time_since_epoch().count());
  return (uint64_t{rd()} << 32 | rd()) ^ t;
}

class Actor {
 public:
  Actor(const ActorOptions& o, std::unique_ptr<envs::VectorEnv> vec)
      : o_(o),
        log_(GetLogger("actor")),
        vec_(std::move(vec)),
        ingest_(ctx_, zmq::socket_type::dealer),
        weights_(ctx_, zmq::socket_type::sub),
        rng_(static_cast<uint64_t>(o.config.run.seed) * 0x9E3779B97F4A7C15ull + o.actor_id),
        epoch_(NewEpoch()) {
    zmqu::Configure(ingest_);
    ingest_.set(zmq::sockopt::routing_id, "actor-" + std::to_string(o.actor_id));
    ingest_.connect(o.ingest_endpoint);
    if (!o.collect) {
      zmqu::Configure(weights_);
      weights_.set(zmq::sockopt::conflate, 1);
      weights_.set(zmq::sockopt::subscribe, "");
      weights_.connect(o.weights_endpoint);
    }
  }

  Status Run();

 private:
  // Takes the newest weights message if one is waiting (or waits up to `timeout`).
  Status PollWeights(milliseconds timeout);
  // Reads acks for up to `timeout`, resending chunks whose ack is overdue.
  Status PumpAcks(milliseconds timeout);
  void CollectChunk(proto::TrajectoryChunk& chunk);
  // collect mode: the local policy.
  Status SetUpLocalPolicy();
  void ActLocal(std::span<const float> obs, int n, std::span<float> actions,
                std::span<float> logprobs, std::span<float> values);
  // waits for the acks of everything in flight (collect mode's clean stop).
  Status Drain();
  void WriteStats() const;

  const ActorOptions& o_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<envs::VectorEnv> vec_;
  zmq::context_t ctx_{1};
  zmq::socket_t ingest_, weights_;
  std::optional<MlpPolicy> policy_;
  bool stop_ = false;
  std::mt19937_64 rng_;
  uint64_t epoch_;
  uint64_t seed_base_ = 0;
  uint64_t first_version_ = 0;
  int64_t chunks_sent_ = 0;
  std::deque<InFlight> in_flight_;
  uint64_t next_sequence_ = 0;
  uint64_t chunks_acked_ = 0, steps_acked_ = 0, duplicates_acked_ = 0, resends_ = 0;
  enum class Local { kNone, kRandom, kScripted, kCheckpoint } local_ = Local::kNone;
  std::vector<float> obs_;
  envs::VectorStepOutput step_out_;
};

Status Actor::PollWeights(milliseconds timeout) {
  if (!zmqu::WaitReadable(weights_, timeout)) return OkStatus();
  zmq::message_t frame;
  if (!weights_.recv(frame, zmq::recv_flags::dontwait)) return OkStatus();
  proto::PolicyWeights w;
  FLEET_RETURN_IF_ERROR(zmqu::ParseProto(frame, w));
  if (w.stop()) {
    stop_ = true;
    return OkStatus();
  }
  if (policy_ && w.version() <= policy_->version()) return OkStatus();
  const auto& as = vec_->spec().action_space;
  const bool discrete = as.is_discrete();
  FLEET_ASSIGN_OR_RETURN(
      auto p, MlpPolicy::FromProto(w, vec_->obs_dim(),
                                   discrete ? static_cast<int>(as.n) : as.FlatDim(), discrete));
  policy_ = std::move(p);
  return OkStatus();
}

Status Actor::PumpAcks(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::vector<zmq::message_t> frames;
  do {
    const auto left =
        std::max(milliseconds(0),
                 std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
    if (zmqu::WaitReadable(ingest_, std::min(left, milliseconds(50))) &&
        zmqu::RecvMultipart(ingest_, frames)) {
      proto::ChunkAck ack;
      FLEET_RETURN_IF_ERROR(zmqu::ParseProto(frames.back(), ack));
      if (!ack.accepted()) {
        return FailedPreconditionError("store rejected chunk " + std::to_string(ack.sequence()) +
                                       ": " + ack.error());
      }
      for (auto it = in_flight_.begin(); it != in_flight_.end(); ++it) {
        if (it->sequence != ack.sequence()) continue;
        ++chunks_acked_;
        steps_acked_ += it->steps;
        if (ack.duplicate()) ++duplicates_acked_;
        in_flight_.erase(it);
        break;
      }
    }
    // at-least-once: resend what the store has not acknowledged in time.
    const auto now = Clock::now();
    for (auto& f : in_flight_) {
      if (now - f.sent_at < milliseconds(o_.config.actors.ack_timeout_ms)) continue;
      log_->warn("actor {}: no ack for chunk {} after {} ms, resending", o_.actor_id, f.sequence,
                 o_.config.actors.ack_timeout_ms);
      zmq::message_t msg(f.bytes.data(), f.bytes.size());
      (void)ingest_.send(msg, zmq::send_flags::dontwait);
      f.sent_at = now;
      ++resends_;
    }
    if (StopRequested()) return OkStatus();
  } while (Clock::now() < deadline);
  return OkStatus();
}

void Actor::CollectChunk(proto::TrajectoryChunk& c) {
  const int T = o_.config.actors.steps_per_chunk, N = vec_->num_envs(), D = vec_->obs_dim();
  const int W = vec_->action_width();
  const bool discrete = vec_->spec().action_space.is_discrete();
  c.Clear();
  c.set_actor_id(o_.actor_id);
  c.set_actor_epoch(epoch_);
  c.set_env_seed_base(seed_base_);
  c.set_sequence(next_sequence_++);
  c.set_policy_version(policy_ ? policy_->version() : 0);
  c.set_env_id(vec_->spec().id);
  c.set_num_steps(T);
  c.set_num_envs(N);
  c.set_obs_dim(D);
  c.set_action_dim(discrete ? 0 : W);
  c.mutable_observations()->Resize(T * N * D, 0.0f);
  c.mutable_rewards()->Resize(T * N, 0.0f);
  c.mutable_logprobs()->Resize(T * N, 0.0f);
  c.mutable_values()->Resize(T * N, 0.0f);
  std::string& term = *c.mutable_terminated();
  std::string& trunc = *c.mutable_truncated();
  term.assign(T * N, '\0');
  trunc.assign(T * N, '\0');
  std::vector<float> actions(N * W), env_actions(N * W);
  if (discrete) {
    c.mutable_discrete_actions()->Resize(T * N, 0);
  } else {
    c.mutable_continuous_actions()->Resize(T * N * W, 0.0f);
  }
  for (int t = 0; t < T; ++t) {
    float* obs_t = c.mutable_observations()->mutable_data() + t * N * D;
    std::copy(obs_.begin(), obs_.end(), obs_t);
    std::span<float> logp_t(c.mutable_logprobs()->mutable_data() + t * N, size_t(N));
    std::span<float> value_t(c.mutable_values()->mutable_data() + t * N, size_t(N));
    if (local_ == Local::kNone) {
      policy_->Act(obs_, N, rng_, actions, logp_t, value_t);
    } else {
      ActLocal(obs_, N, actions, logp_t, value_t);
    }
    if (discrete) {
      for (int e = 0; e < N; ++e) c.set_discrete_actions(t * N + e, static_cast<int>(actions[e]));
    } else {
      std::copy(actions.begin(), actions.end(),
                c.mutable_continuous_actions()->mutable_data() + t * N * W);
    }
    // Gaussian samples go to the chunk as drawn (their log-prob is of that value) and to
    // the env clipped to its bounds, as CleanRL's ClipAction wrapper does.
    if (!discrete) {
      const auto& as = vec_->spec().action_space;
      for (int e = 0; e < N; ++e) {
        for (int j = 0; j < W; ++j) {
          float& a = env_actions[e * W + j];
          a = std::clamp(actions[e * W + j], static_cast<float>(as.low[j]),
                         static_cast<float>(as.high[j]));
        }
      }
    }
    // the policy's own actions are always valid for the env.
    Status st = vec_->Step(discrete ? actions : env_actions, obs_, {c.mutable_rewards()->mutable_data() + t * N, size_t(N)},
                           {reinterpret_cast<uint8_t*>(term.data()) + t * N, size_t(N)},
                           {reinterpret_cast<uint8_t*>(trunc.data()) + t * N, size_t(N)},
                           step_out_);
    FLEET_CHECK_MSG(st.ok(), st.ToString());
    for (size_t k = 0; k < step_out_.final_indices.size(); ++k) {
      c.add_final_indices(t * N + step_out_.final_indices[k]);
      c.add_episode_returns(static_cast<float>(step_out_.episode_returns[k]));
      c.add_episode_lengths(step_out_.episode_lengths[k]);
    }
    c.mutable_final_observations()->Add(step_out_.final_observations.begin(),
                                        step_out_.final_observations.end());
  }
  c.mutable_next_observations()->Add(obs_.begin(), obs_.end());
  // what the local policy does not produce is not sent (the store records it as absent).
  const std::vector<std::string> infos = LocalPolicyInfos(o_.config);
  if (local_ != Local::kNone && std::find(infos.begin(), infos.end(), "infos/logprob") == infos.end()) {
    c.clear_logprobs();
  }
  if (local_ != Local::kNone && std::find(infos.begin(), infos.end(), "infos/value") == infos.end()) {
    c.clear_values();
  }
}

Status Actor::Run() {
  const auto& cfg = o_.config;
  obs_.resize(vec_->num_envs() * vec_->obs_dim());
  seed_base_ = static_cast<uint64_t>(cfg.run.seed) * 1000003ull +
               static_cast<uint64_t>(o_.actor_id) * cfg.env.num_envs;
  vec_->Reset(seed_base_, obs_);

  if (o_.collect) FLEET_RETURN_IF_ERROR(SetUpLocalPolicy());
  // wait for the first weights.
  const auto weights_deadline = Clock::now() + milliseconds(cfg.actors.weights_timeout_ms);
  while (!o_.collect && !policy_ && !stop_) {
    FLEET_RETURN_IF_ERROR(PollWeights(milliseconds(100)));
    if (StopRequested()) return OkStatus();
    if (Clock::now() > weights_deadline) {
      return DeadlineExceededError("no weights from the learner at " + o_.weights_endpoint +
                                   " within " + std::to_string(cfg.actors.weights_timeout_ms) +
                                   " ms");
    }
  }
  if (policy_) first_version_ = policy_->version();
  log_->info("actor {}: {} v{}, stepping {} x {}", o_.actor_id,
             o_.collect ? "policy " + cfg.collect.policy : std::string("first weights"),
             policy_ ? policy_->version() : 0, cfg.env.num_envs, cfg.env.id);

  proto::TrajectoryChunk chunk;
  while (!stop_ && !StopRequested()) {
    CollectChunk(chunk);
    const uint64_t made_with = chunk.policy_version();
    // out of credit: wait for acks before sending more.
    while (static_cast<int>(in_flight_.size()) >= cfg.actors.max_in_flight && !StopRequested()) {
      FLEET_RETURN_IF_ERROR(PumpAcks(milliseconds(50)));
    }
    InFlight f{chunk.sequence(), uint64_t{chunk.num_steps()} * chunk.num_envs(),
               chunk.SerializeAsString(), Clock::now()};
    zmq::message_t msg(f.bytes.data(), f.bytes.size());
    (void)ingest_.send(msg, zmq::send_flags::none);
    in_flight_.push_back(std::move(f));
    FLEET_RETURN_IF_ERROR(PumpAcks(milliseconds(0)));

    // synchronous mode: the next chunk uses the weights trained on this one. Asynchronous
    // mode overlaps acting with learning, but an actor runs at most store.max_policy_lag
    // policy versions ahead of the learner: with C chunks per update shared by K actors,
    // it may have sent (V - V0 + 1 + lag) * C / K chunks by the time it holds version V
    // (V0: the first version it received). Chunks are then not made faster than the
    // learner uses them (the store would only drop them as stale).
    ++chunks_sent_;
    const double per_version =
        static_cast<double>(cfg.ChunksPerUpdate()) / static_cast<double>(cfg.actors.count);
    const double allowed =
        (static_cast<double>(made_with - first_version_) + 1.0 + cfg.store.max_policy_lag) *
        per_version;
    const bool wait_for_weights =
        !o_.collect && (cfg.actors.sync || static_cast<double>(chunks_sent_) >= allowed);
    if (wait_for_weights) {
      const auto deadline = Clock::now() + milliseconds(cfg.actors.weights_timeout_ms);
      while (policy_->version() <= made_with && !stop_ && !StopRequested()) {
        FLEET_RETURN_IF_ERROR(PollWeights(milliseconds(20)));
        FLEET_RETURN_IF_ERROR(PumpAcks(milliseconds(0)));
        if (Clock::now() > deadline) {
          return DeadlineExceededError("no new weights after version " +
                                       std::to_string(made_with) + " within " +
                                       std::to_string(cfg.actors.weights_timeout_ms) + " ms");
        }
      }
    } else if (!o_.collect) {
      FLEET_RETURN_IF_ERROR(PollWeights(milliseconds(0)));
    }
  }
  Status st = OkStatus();
  if (o_.collect) st = Drain();
  log_->info("actor {}: stopping after {} chunks ({} acknowledged, {} steps, {} resends)",
             o_.actor_id, next_sequence_, chunks_acked_, steps_acked_, resends_);
  WriteStats();
  return st;
}

Status Actor::Drain() {
  const auto deadline = Clock::now() + milliseconds(o_.drain_timeout_ms);
  while (!in_flight_.empty() && Clock::now() < deadline) {
    FLEET_RETURN_IF_ERROR(PumpAcks(milliseconds(50)));
  }
  if (!in_flight_.empty()) {
    return DeadlineExceededError(std::to_string(in_flight_.size()) +
                                 " chunks still unacknowledged after " +
                                 std::to_string(o_.drain_timeout_ms) + " ms");
  }
  return OkStatus();
}

void Actor::WriteStats() const {
  if (o_.stats_path.empty()) return;
  const Json stats{{"actor_id", o_.actor_id},          {"chunks_sent", next_sequence_},
                   {"chunks_acked", chunks_acked_},    {"steps_acked", steps_acked_},
                   {"duplicate_acks", duplicates_acked_}, {"resends", resends_},
                   {"unacked", in_flight_.size()}};
  if (Status st = WriteJsonFileAtomically(o_.stats_path, stats); !st.ok()) {
    log_->error("actor {}: {}", o_.actor_id, st.ToString());
  }
}

Status Actor::SetUpLocalPolicy() {
  const auto& cfg = o_.config.collect;
  const auto& spec = vec_->spec();
  if (cfg.policy == "random") {
    local_ = Local::kRandom;
  } else if (cfg.policy == "scripted") {
    if (!spec.id.starts_with("LunarLander")) {
      return InvalidArgumentError("collect.policy 'scripted' has a controller for LunarLander only, "
                                  "not " + spec.id);
    }
    local_ = Local::kScripted;
  } else {
    std::ifstream in(cfg.checkpoint, std::ios::binary);
    if (!in) return NotFoundError("cannot read collect.checkpoint '" + cfg.checkpoint + "'");
    proto::PolicyWeights w;
    if (!w.ParseFromIstream(&in)) {
      return DataLossError("collect.checkpoint '" + cfg.checkpoint + "' is not a policy file");
    }
    const auto& as = spec.action_space;
    const bool discrete = as.is_discrete();
    FLEET_ASSIGN_OR_RETURN(auto p, MlpPolicy::FromProto(w, vec_->obs_dim(),
                                                        discrete ? static_cast<int>(as.n) : as.FlatDim(),
                                                        discrete));
    policy_ = std::move(p);
    local_ = Local::kCheckpoint;
  }
  return OkStatus();
}

void Actor::ActLocal(std::span<const float> obs, int n, std::span<float> actions,
                     std::span<float> logprobs, std::span<float> values) {
  const auto& as = vec_->spec().action_space;
  const int W = vec_->action_width(), D = vec_->obs_dim();
  std::fill(values.begin(), values.end(), 0.0f);
  switch (local_) {
    case Local::kRandom: {
      // uniform: log-prob -log(n) or -sum log(high - low).
      double logp = 0.0;
      if (as.is_discrete()) {
        std::uniform_int_distribution<int64_t> pick(0, as.n - 1);
        for (int e = 0; e < n; ++e) actions[e] = static_cast<float>(pick(rng_));
        logp = -std::log(static_cast<double>(as.n));
      } else {
        for (int j = 0; j < W; ++j) {
          std::uniform_real_distribution<double> u(as.low[j], as.high[j]);
          for (int e = 0; e < n; ++e) actions[e * W + j] = static_cast<float>(u(rng_));
          logp -= std::log(as.high[j] - as.low[j]);
        }
      }
      std::fill(logprobs.begin(), logprobs.end(), static_cast<float>(logp));
      break;
    }
    case Local::kScripted:
      for (int e = 0; e < n; ++e) {
        envs::LunarLander::Heuristic(obs.data() + e * D, !as.is_discrete(), actions.data() + e * W);
      }
      std::fill(logprobs.begin(), logprobs.end(), 0.0f);  // deterministic
      break;
    case Local::kCheckpoint:
      if (o_.config.collect.deterministic) {
        policy_->ActGreedy(obs, n, actions);
        std::fill(logprobs.begin(), logprobs.end(), 0.0f);
      } else {
        policy_->Act(obs, n, rng_, actions, logprobs, values);
      }
      break;
    case Local::kNone:
      break;
  }
}

}  // namespace

std::vector<std::string> LocalPolicyInfos(const ExperimentConfig& config) {
  const auto& c = config.collect;
  if (c.policy == "random") return {"infos/logprob"};
  if (c.policy == "checkpoint") {
    if (c.deterministic) return {"infos/value"};
    return {"infos/logprob", "infos/value"};
  }
  return {};
}

Status ActorOptions::Validate() const {
  if (actor_id < 0) return InvalidArgumentError("actor id must be >= 0");
  if (ingest_endpoint.empty()) return InvalidArgumentError("actor needs --ingest");
  if (!collect && weights_endpoint.empty()) return InvalidArgumentError("actor needs --weights");
  return config.Validate();
}

Status RunActor(const ActorOptions& options) {
  FLEET_RETURN_IF_ERROR(options.Validate());
  FLEET_ASSIGN_OR_RETURN(auto vec, envs::VectorEnv::Create(options.config.env.id,
                                                           options.config.env.num_envs,
                                                           options.config.env.options));
  Actor actor(options, std::move(vec));
  return actor.Run();
}

}  // namespace fleet::actor
