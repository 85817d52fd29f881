#include "actor/actor.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include <zmq.hpp>

#include "actor/mlp_policy.h"
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
  std::string bytes;
  Clock::time_point sent_at;
};

class Actor {
 public:
  Actor(const ActorOptions& o, std::unique_ptr<envs::VectorEnv> vec)
      : o_(o),
        log_(GetLogger("actor")),
        vec_(std::move(vec)),
        ingest_(ctx_, zmq::socket_type::dealer),
        weights_(ctx_, zmq::socket_type::sub),
        rng_(static_cast<uint64_t>(o.config.run.seed) * 0x9E3779B97F4A7C15ull + o.actor_id) {
    zmqu::Configure(ingest_);
    ingest_.set(zmq::sockopt::routing_id, "actor-" + std::to_string(o.actor_id));
    ingest_.connect(o.ingest_endpoint);
    zmqu::Configure(weights_);
    weights_.set(zmq::sockopt::conflate, 1);
    weights_.set(zmq::sockopt::subscribe, "");
    weights_.connect(o.weights_endpoint);
  }

  Status Run();

 private:
  // Takes the newest weights message if one is waiting (or waits up to `timeout`).
  Status PollWeights(milliseconds timeout);
  // Reads acks for up to `timeout`, resending chunks whose ack is overdue.
  Status PumpAcks(milliseconds timeout);
  void CollectChunk(proto::TrajectoryChunk& chunk);

  const ActorOptions& o_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<envs::VectorEnv> vec_;
  zmq::context_t ctx_{1};
  zmq::socket_t ingest_, weights_;
  std::optional<MlpPolicy> policy_;
  bool stop_ = false;
  std::mt19937_64 rng_;
  std::deque<InFlight> in_flight_;
  uint64_t next_sequence_ = 0;
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
      std::erase_if(in_flight_, [&](const InFlight& f) { return f.sequence == ack.sequence(); });
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
  c.set_sequence(next_sequence_++);
  c.set_policy_version(policy_->version());
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
    policy_->Act(obs_, N, rng_, actions, {c.mutable_logprobs()->mutable_data() + t * N, size_t(N)},
                 {c.mutable_values()->mutable_data() + t * N, size_t(N)});
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
}

Status Actor::Run() {
  const auto& cfg = o_.config;
  obs_.resize(vec_->num_envs() * vec_->obs_dim());
  const uint64_t seed_base = static_cast<uint64_t>(cfg.run.seed) * 1000003ull +
                             static_cast<uint64_t>(o_.actor_id) * cfg.env.num_envs;
  vec_->Reset(seed_base, obs_);

  // wait for the first weights.
  const auto weights_deadline = Clock::now() + milliseconds(cfg.actors.weights_timeout_ms);
  while (!policy_ && !stop_) {
    FLEET_RETURN_IF_ERROR(PollWeights(milliseconds(100)));
    if (StopRequested()) return OkStatus();
    if (Clock::now() > weights_deadline) {
      return DeadlineExceededError("no weights from the learner at " + o_.weights_endpoint +
                                   " within " + std::to_string(cfg.actors.weights_timeout_ms) +
                                   " ms");
    }
  }
  log_->info("actor {}: first weights v{}, stepping {} x {}", o_.actor_id,
             policy_ ? policy_->version() : 0, cfg.env.num_envs, cfg.env.id);

  proto::TrajectoryChunk chunk;
  while (!stop_ && !StopRequested()) {
    CollectChunk(chunk);
    const uint64_t made_with = chunk.policy_version();
    // out of credit: wait for acks before sending more.
    while (static_cast<int>(in_flight_.size()) >= cfg.actors.max_in_flight && !StopRequested()) {
      FLEET_RETURN_IF_ERROR(PumpAcks(milliseconds(50)));
    }
    InFlight f{chunk.sequence(), chunk.SerializeAsString(), Clock::now()};
    zmq::message_t msg(f.bytes.data(), f.bytes.size());
    (void)ingest_.send(msg, zmq::send_flags::none);
    in_flight_.push_back(std::move(f));
    FLEET_RETURN_IF_ERROR(PumpAcks(milliseconds(0)));

    if (cfg.actors.sync) {
      // synchronous mode: the next chunk uses the weights trained on this one.
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
    } else {
      FLEET_RETURN_IF_ERROR(PollWeights(milliseconds(0)));
    }
  }
  log_->info("actor {}: stopping after {} chunks", o_.actor_id, next_sequence_);
  return OkStatus();
}

}  // namespace

Status ActorOptions::Validate() const {
  if (actor_id < 0) return InvalidArgumentError("actor id must be >= 0");
  if (ingest_endpoint.empty()) return InvalidArgumentError("actor needs --ingest");
  if (weights_endpoint.empty()) return InvalidArgumentError("actor needs --weights");
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
