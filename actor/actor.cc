#include "actor/actor.h"

#include "common/heartbeat.h"

#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <random>

#include <zmq.hpp>

#include "actor/chunk_builder.h"
#include "actor/opponent_pool.h"
#include "actor/chunk_sender.h"
#include "actor/pacing.h"
#include "actor/policies.h"
#include "common/json.h"
#include "common/logging.h"
#include "common/signals.h"
#include "common/curve.h"
#include "common/zmq_util.h"
#include "envs/vector_env.h"
#include "proto/fleet.pb.h"

namespace fleet::actor {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

uint64_t NewEpoch() {
  std::random_device rd;
  const uint64_t t = static_cast<uint64_t>(Clock::now().time_since_epoch().count());
  return (uint64_t{rd()} << 32 | rd()) ^ t;
}

// The learner's weights: a SUB socket that keeps only the latest message (conflate).
class WeightsSubscriber {
 public:
  WeightsSubscriber(zmq::context_t& ctx, const std::string& endpoint)
      : socket_(ctx, zmq::socket_type::sub) {
    zmqu::Configure(socket_);
    socket_.set(zmq::sockopt::conflate, 1);
    socket_.set(zmq::sockopt::subscribe, "");
    SecureClient(socket_, endpoint);
    socket_.connect(endpoint);
  }
  // The newest weights if some arrive within `timeout`.
  StatusOr<std::optional<proto::PolicyWeights>> Poll(milliseconds timeout) {
    if (!zmqu::WaitReadable(socket_, timeout)) return std::optional<proto::PolicyWeights>();
    zmq::message_t frame;
    if (!zmqu::RetryOnInterrupt([&] { return socket_.recv(frame, zmq::recv_flags::dontwait); })) return std::optional<proto::PolicyWeights>();
    proto::PolicyWeights w;
    FLEET_RETURN_IF_ERROR(zmqu::ParseProto(frame, w));
    return std::optional<proto::PolicyWeights>(std::move(w));
  }

 private:
  zmq::socket_t socket_;
};

class Actor {
 public:
  Actor(const ActorOptions& o, std::unique_ptr<envs::VectorEnv> vec)
      : o_(o),
        cfg_(o.config),
        log_(GetLogger("actor")),
        vec_(std::move(vec)),
        rng_(static_cast<uint64_t>(cfg_.run.seed) * 0x9E3779B97F4A7C15ull + o.actor_id),
        builder_(*vec_, static_cast<uint32_t>(o.actor_id), NewEpoch(), cfg_.actors.steps_per_chunk),
        sender_(ctx_, {o.ingest_endpoint, "actor-" + std::to_string(o.actor_id),
                       cfg_.actors.max_in_flight, milliseconds(cfg_.actors.ack_timeout_ms)}),
        pacing_(MakePacing(cfg_, /*learner_fed=*/!o.collect)) {
    if (!o.collect) weights_.emplace(ctx_, o.weights_endpoint);
  }

  Status Run();

 private:
  // Takes the newest weights if some are waiting (or arrive within `timeout`).
  Status PollWeights(milliseconds timeout);
  // Until the policy's version is above `version` (or a stop); DeadlineExceeded after
  // actors.weights_timeout_ms.
  Status WaitForWeightsAbove(std::optional<uint64_t> version);
  Status WriteStats() const;

  const ActorOptions& o_;
  const ExperimentConfig& cfg_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<envs::VectorEnv> vec_;
  zmq::context_t ctx_{1};
  std::mt19937_64 rng_;
  ChunkBuilder builder_;
  ChunkSender sender_;
  std::unique_ptr<Pacing> pacing_;
  std::optional<WeightsSubscriber> weights_;
  std::unique_ptr<Policy> policy_;
  // self-play (selfplay.enabled): the published versions its envs' opponents come from.
  std::unique_ptr<OpponentPool> pool_;
  std::unique_ptr<SelfPlaySeats> seats_;
  bool stop_ = false;  // the learner said so
  uint64_t next_sequence_ = 0;
  uint64_t weights_epoch_ = 0;  // of the weights policy_ holds (PolicyWeights.weights_epoch)
  bool new_epoch_ = false;      // weights of a new epoch taken, pacing not started over yet
};

Status Actor::PollWeights(milliseconds timeout) {
  FLEET_ASSIGN_OR_RETURN(std::optional<proto::PolicyWeights> w, weights_->Poll(timeout));
  if (!w) return OkStatus();
  if (w->stop()) {
    stop_ = true;
    return OkStatus();
  }
  // a new epoch (a restarted learner, resuming from its checkpoint at a version that may
  // be below ours; or chunks lost with a restarted store): taken whatever the version.
  const bool new_epoch = policy_ && w->weights_epoch() != weights_epoch_;
  if (policy_ && !new_epoch && w->version() <= policy_->version()) return OkStatus();
  PolicyChoice choice;
  choice.noise_hold_steps = cfg_.actors.noise_hold_steps;
  FLEET_ASSIGN_OR_RETURN(policy_, PolicyFromWeights(*w, vec_->spec(), choice));
  if (pool_) FLEET_RETURN_IF_ERROR(pool_->Offer(*w));
  weights_epoch_ = w->weights_epoch();
  if (new_epoch) {
    new_epoch_ = true;
    log_->info("actor {}: weights v{} of a new epoch (learner or store restarted); pacing starts over",
               o_.actor_id, w->version());
  }
  return OkStatus();
}

Status Actor::WaitForWeightsAbove(std::optional<uint64_t> version) {
  const auto deadline = Clock::now() + milliseconds(cfg_.actors.weights_timeout_ms);
  auto have = [&] {
    return policy_ && (!version || policy_->version() > *version || new_epoch_);
  };
  while (!have() && !stop_ && !StopRequested()) {
    Beat();
    FLEET_RETURN_IF_ERROR(PollWeights(milliseconds(20)));
    FLEET_RETURN_IF_ERROR(sender_.Pump(milliseconds(0)));
    if (Clock::now() > deadline) {
      return DeadlineExceededError(
          version ? "no new weights after version " + std::to_string(*version) + " within " +
                        std::to_string(cfg_.actors.weights_timeout_ms) + " ms"
                  : "no weights from the learner at " + o_.weights_endpoint + " within " +
                        std::to_string(cfg_.actors.weights_timeout_ms) + " ms");
    }
  }
  return OkStatus();
}

Status Actor::Run() {
  if (cfg_.selfplay.enabled && !o_.collect) {
    pool_ = std::make_unique<OpponentPool>(cfg_.selfplay, vec_->spec());
    FLEET_ASSIGN_OR_RETURN(seats_, SelfPlaySeats::Install(*vec_, *pool_,
                                                          static_cast<uint64_t>(cfg_.run.seed) * 7919ull +
                                                              static_cast<uint64_t>(o_.actor_id) * cfg_.env.num_envs));
  }
  builder_.Reset(static_cast<uint64_t>(cfg_.run.seed) * 1000003ull +
                 static_cast<uint64_t>(o_.actor_id) * cfg_.env.num_envs,
                 cfg_.env.group_size);
  if (o_.collect) {
    FLEET_ASSIGN_OR_RETURN(policy_, MakeCollectPolicy(cfg_.collect, vec_->spec()));
  } else {
    FLEET_RETURN_IF_ERROR(WaitForWeightsAbove(std::nullopt));
    if (!policy_) return OkStatus();  // stopped before any weights came
  }
  uint64_t first_version = policy_->version();
  char host[256] = "?";
  ::gethostname(host, sizeof(host) - 1);
  log_->info("actor {} on {}: {} v{}, stepping {} x {}, pacing {}, sending to {}", o_.actor_id,
             host, o_.collect ? "policy " + cfg_.collect.policy : std::string("first weights"),
             first_version, cfg_.env.num_envs, cfg_.env.id, pacing_->name(), o_.ingest_endpoint);

  proto::TrajectoryChunk chunk;
  int64_t chunks_sent = 0;
  while (!stop_ && !StopRequested()) {
    Beat();
    if (new_epoch_) {  // the lag bound counts from the new epoch's weights
      new_epoch_ = false;
      first_version = policy_->version();
      chunks_sent = 0;
    }
    builder_.Build(*policy_, rng_, next_sequence_, chunk);
    const uint64_t made_with = chunk.policy_version();
    const Status sent = sender_.Send(next_sequence_, uint64_t{chunk.num_steps()} * chunk.num_envs(),
                                     chunk.SerializeAsString());
    if (sent.code() == StatusCode::kCancelled) break;
    FLEET_RETURN_IF_ERROR(sent);
    ++next_sequence_;
    ++chunks_sent;
    if (o_.collect) continue;
    if (pacing_->MustWaitForNewerWeights(made_with, first_version, chunks_sent)) {
      FLEET_RETURN_IF_ERROR(WaitForWeightsAbove(made_with));
    } else {
      FLEET_RETURN_IF_ERROR(PollWeights(milliseconds(0)));
    }
  }
  // collect mode's clean stop: every chunk sent is acknowledged before the actor exits.
  Status st = o_.collect ? sender_.Drain(milliseconds(o_.drain_timeout_ms)) : OkStatus();
  const SenderCounters& n = sender_.counters();
  log_->info("actor {}: stopping after {} chunks ({} acknowledged, {} steps, {} resends)",
             o_.actor_id, n.sent, n.acked, n.steps_acked, n.resends);
  if (seats_) {
    std::string games;
    for (const auto& [v, count] : seats_->GamesByVersion()) {
      games += (games.empty() ? "" : ", ") +
               (v == SelfPlaySeats::kBuiltin ? std::string("built-in") : "v" + std::to_string(v)) +
               ": " + std::to_string(count);
    }
    std::string pool;
    for (uint64_t v : pool_->versions()) pool += (pool.empty() ? "v" : ", v") + std::to_string(v);
    log_->info("actor {}: self-play games by opponent version {{{}}} ({} with greedy "
               "opponents); pool at the end {{{}}}",
               o_.actor_id, games, seats_->GreedyGames(), pool);
  }
  const Status written = WriteStats();
  return st.ok() ? written : st;
}

Status Actor::WriteStats() const {
  if (o_.stats_path.empty()) return OkStatus();
  const SenderCounters& n = sender_.counters();
  Json stats{{"actor_id", o_.actor_id},       {"chunks_sent", n.sent},
             {"chunks_acked", n.acked},       {"steps_acked", n.steps_acked},
             {"duplicate_acks", n.duplicate_acks}, {"resends", n.resends},
             {"unacked", sender_.in_flight()}, {"processes", 1}};
  // an earlier process of this actor in the same sitting (restarted after a crash) wrote
  // its counts here: the file holds the sum (the orchestrator removes it when a sitting
  // starts)
  if (auto before = ReadJsonFile(o_.stats_path); before.ok() && before->is_object()) {
    for (const char* k : {"chunks_sent", "chunks_acked", "steps_acked", "duplicate_acks",
                          "resends", "processes"}) {
      if (before->contains(k) && (*before)[k].is_number_integer()) {
        stats[k] = stats[k].get<int64_t>() + (*before)[k].get<int64_t>();
      }
    }
  }
  // fleet collect sums these into its summary: failing to write them is the actor's failure.
  return WriteJsonFileAtomically(o_.stats_path, stats);
}

}  // namespace

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
  try {
    Actor actor(options, std::move(vec));
    return actor.Run();
  } catch (const zmq::error_t& e) {
    return UnavailableError(std::string("actor socket error: ") + e.what());
  }
}

}  // namespace fleet::actor
