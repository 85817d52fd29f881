#include "replay/store.h"

#include "common/curve.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <vector>

#include <zmq.hpp>

#include "common/heartbeat.h"
#include "common/logging.h"
#include "common/signals.h"
#include "common/zmq_util.h"
#include "envs/registry.h"
#include "replay/chunk_validator.h"
#include "replay/dedup.h"
#include "replay/manifest.h"
#include "replay/recorder.h"
#include "replay/rollout_queue.h"

namespace fleet::replay {
namespace {

// What makes the recorded data, for the manifests: a learner's policies, or a collect's.
Json Behaviour(const ExperimentConfig& cfg, bool learner_fed) {
  if (learner_fed) return {{"policy", "learner"}, {"algo", cfg.learner.algo}};
  const CollectSection& c = cfg.collect;
  Json b{{"policy", c.policy}, {"label", c.label}};
  if (c.policy == "checkpoint") {
    b["checkpoint"] = c.checkpoint;
    b["deterministic"] = c.deterministic;
  }
  if (c.evaluated_episodes > 0) {
    b["evaluated_return"] = c.evaluated_return;
    b["evaluated_episodes"] = c.evaluated_episodes;
  }
  return b;
}

struct PendingRequest {
  std::string identity;
  uint64_t learner_version = 0;
  int num_chunks = 0;
};

class Store {
 public:
  Store(const StoreOptions& o, ChunkExpectations expect, const envs::EnvSpec& spec)
      : o_(o),
        observation_space_(spec.observation_space),
        action_space_(spec.action_space),
        log_(GetLogger("store")),
        expect_(std::move(expect)),
        queue_(o.config.store.queue_chunks, o.config.store.max_policy_lag),
        zap_(StartZapIfSecure(ctx_)),
        ingest_(ctx_, zmq::socket_type::router),
        rollout_(ctx_, zmq::socket_type::router) {
    zmqu::Configure(ingest_);
    zmqu::Configure(rollout_);
    SecureServer(ingest_, o.ingest_endpoint);
    SecureServer(rollout_, o.rollout_endpoint);
    ingest_.bind(o.ingest_endpoint);
    rollout_.bind(o.rollout_endpoint);
  }

  Status Run();

 private:
  Status HandleChunk(const std::string& identity, const zmq::message_t& payload);
  void Reply(const std::string& identity, const proto::ChunkAck& ack);
  void Reject(const std::string& identity, proto::ChunkAck& ack, const std::string& reason);
  void ServeRollout();

  const StoreOptions& o_;
  envs::Space observation_space_, action_space_;
  std::shared_ptr<spdlog::logger> log_;
  ChunkExpectations expect_;
  RolloutQueue queue_;
  DedupIndex dedup_;                    // without recording
  std::unique_ptr<Recorder> recorder_;  // with recording: dedup, log and shards
  zmq::context_t ctx_{1};
  std::unique_ptr<ZapHandler> zap_;  // tcp: admits authorized CURVE clients only
  zmq::socket_t ingest_, rollout_;
  std::optional<PendingRequest> pending_;
  DroppedStats dropped_;
  proto::StoreStats stats_;
};

void Store::Reply(const std::string& identity, const proto::ChunkAck& ack) {
  zmq::message_t id(identity.data(), identity.size());
  (void)zmqu::RetryOnInterrupt([&] { return ingest_.send(id, zmq::send_flags::sndmore); });
  (void)zmqu::SendProto(ingest_, ack);
}

void Store::Reject(const std::string& identity, proto::ChunkAck& ack, const std::string& reason) {
  stats_.set_rejected_chunks(stats_.rejected_chunks() + 1);
  log_->warn("rejected chunk from '{}': {} (rejected so far: {})", identity, reason,
             stats_.rejected_chunks());
  ack.set_accepted(false);
  ack.set_error(reason);
  Reply(identity, ack);
}

Status Store::HandleChunk(const std::string& identity, const zmq::message_t& payload) {
  proto::ChunkAck ack;
  if (static_cast<int64_t>(payload.size()) > o_.config.store.max_chunk_bytes) {
    Reject(identity, ack, "chunk of " + std::to_string(payload.size()) +
                              " bytes exceeds store.max_chunk_bytes");
    return OkStatus();
  }
  proto::TrajectoryChunk chunk;
  if (Status st = zmqu::ParseProto(payload, chunk); !st.ok()) {
    Reject(identity, ack, st.message());
    return OkStatus();
  }
  ack.set_actor_id(chunk.actor_id());
  ack.set_sequence(chunk.sequence());
  if (Status st = ValidateChunk(chunk, expect_); !st.ok()) {
    Reject(identity, ack, st.message());
    return OkStatus();
  }
  bool fresh = true;
  if (recorder_) {
    // durable before the ack: an error here leaves the chunk unacknowledged (the actor
    // keeps it) and stops the store.
    auto stored = recorder_->Add({static_cast<const char*>(payload.data()), payload.size()}, chunk);
    if (!stored.ok()) {
      // a write failed (a full disk, an I/O error): write nothing more, no seal of a
      // shard whose append may have half-failed; the log has every acknowledged chunk
      recorder_->Abandon();
      return stored.status();
    }
    fresh = *stored;
    stats_.set_recorded_steps(recorder_->steps_written());
    stats_.set_recorded_episodes(recorder_->episodes_written());
  } else {
    fresh = dedup_.Insert(chunk.actor_id(), chunk.actor_epoch(), chunk.sequence());
  }
  if (!fresh) {
    stats_.set_duplicate_chunks(stats_.duplicate_chunks() + 1);
    ack.set_accepted(true);
    ack.set_duplicate(true);
    Reply(identity, ack);
    return OkStatus();
  }
  const uint64_t steps = uint64_t{chunk.num_steps()} * chunk.num_envs();
  if (o_.serve_rollouts) {
    QueuedChunk q;
    q.actor_id = chunk.actor_id();
    q.sequence = chunk.sequence();
    q.policy_version = chunk.policy_version();
    q.num_steps = steps;
    q.episode_returns.assign(chunk.episode_returns().begin(), chunk.episode_returns().end());
    q.episode_lengths.assign(chunk.episode_lengths().begin(), chunk.episode_lengths().end());
    q.bytes.assign(static_cast<const char*>(payload.data()), payload.size());
    queue_.Push(std::move(q));
  }
  stats_.set_accepted_chunks(stats_.accepted_chunks() + 1);
  stats_.set_accepted_steps(stats_.accepted_steps() + steps);
  ack.set_accepted(true);
  Reply(identity, ack);
  return OkStatus();
}

void Store::ServeRollout() {
  if (!pending_) return;
  std::vector<QueuedChunk> batch;
  if (!queue_.TakeBatch(pending_->learner_version, pending_->num_chunks, batch, dropped_)) return;
  stats_.set_dropped_stale_chunks(dropped_.chunks);
  stats_.set_queued_chunks(queue_.size());
  proto::RolloutHeader header;
  header.set_num_chunks(static_cast<uint32_t>(batch.size()));
  *header.mutable_stats() = stats_;
  header.set_dropped_steps(dropped_.steps);
  header.mutable_dropped_episode_returns()->Add(dropped_.episode_returns.begin(),
                                                dropped_.episode_returns.end());
  header.mutable_dropped_episode_lengths()->Add(dropped_.episode_lengths.begin(),
                                                dropped_.episode_lengths.end());
  const uint64_t total_dropped = dropped_.chunks;
  dropped_ = DroppedStats();
  dropped_.chunks = total_dropped;
  zmq::message_t id(pending_->identity.data(), pending_->identity.size());
  (void)zmqu::RetryOnInterrupt([&] { return rollout_.send(id, zmq::send_flags::sndmore); });
  (void)zmqu::SendProto(rollout_, header, /*more=*/true);
  for (size_t i = 0; i < batch.size(); ++i) {
    zmq::message_t frame(batch[i].bytes.data(), batch[i].bytes.size());
    const auto flags = i + 1 < batch.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
    (void)zmqu::RetryOnInterrupt([&] { return rollout_.send(frame, flags); });
  }
  pending_.reset();
}

Status Store::Run() {
  if (o_.config.store.record) {
    RecorderOptions ro;
    EpisodeWriterOptions& wo = ro.writer;
    wo.dir = o_.run_dir + "/dataset";
    wo.max_shard_steps = o_.config.store.shard_max_steps;
    wo.env_id = expect_.env_id;
    wo.obs_dim = expect_.obs_dim;
    wo.action_dim = expect_.action_dim;
    wo.config_yaml = ExperimentConfigToYaml(o_.config);
    wo.compression = o_.config.store.compression;
    wo.observation_space = envs::SpaceToJson(observation_space_);
    wo.action_space = envs::SpaceToJson(action_space_);
    wo.optional_columns = o_.record_infos;
    wo.behaviour = Behaviour(o_.config, o_.serve_rollouts);
    wo.max_episodes = RecordingEpisodeLimit(o_.config, o_.serve_rollouts);
    ro.wal_fsync = o_.config.store.wal_fsync;
    FLEET_ASSIGN_OR_RETURN(recorder_, Recorder::Open(ro));
    if (recorder_->recovery().damaged()) {
      // what was readable is in the dataset (sealed below); the loss is the run's failure
      const std::string what = recorder_->recovery().DescribeDamage();
      FLEET_RETURN_IF_ERROR(recorder_->Close());
      return DataLossError(what);
    }
    stats_.set_recovered_chunks(recorder_->recovery().replayed_chunks);
    stats_.set_recorded_steps(recorder_->steps_written());
    stats_.set_recorded_episodes(recorder_->episodes_written());
    log_->info("recording to {}/shard-*.h5", wo.dir);
  }
  char host[256] = "?";
  ::gethostname(host, sizeof(host) - 1);
  log_->info("on {}: serving ingest at {}, rollouts at {}", host, o_.ingest_endpoint,
             o_.rollout_endpoint);
  std::vector<zmq::message_t> frames;
  while (!StopRequested()) {
    Beat();  // the supervisor's liveness check (common/heartbeat.h)
    zmq::pollitem_t items[] = {{rollout_.handle(), 0, ZMQ_POLLIN, 0},
                               {ingest_.handle(), 0, ZMQ_POLLIN, 0}};
    // backpressure: a full queue is not read from until the learner takes a batch.
    const int n_items = o_.serve_rollouts && queue_.full() ? 1 : 2;
    try {
      zmq::poll(items, n_items, std::chrono::milliseconds(100));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      return InternalError(std::string("poll failed: ") + e.what());
    }
    if (items[0].revents & ZMQ_POLLIN) {
      while (zmqu::RecvMultipart(rollout_, frames)) {
        proto::RolloutRequest req;
        if (frames.size() != 2 || !zmqu::ParseProto(frames[1], req).ok()) {
          log_->warn("ignored malformed rollout request");
          continue;
        }
        if (req.stats_only()) {
          proto::RolloutHeader header;
          *header.mutable_stats() = stats_;
          (void)zmqu::RetryOnInterrupt([&] { return rollout_.send(frames[0], zmq::send_flags::sndmore); });
          (void)zmqu::SendProto(rollout_, header);
          continue;
        }
        if (req.num_chunks() == 0 || !o_.serve_rollouts) {
          log_->warn("ignored rollout request ({})",
                     o_.serve_rollouts ? "no chunks asked for" : "this store only records");
          continue;
        }
        pending_ = PendingRequest{frames[0].to_string(), req.learner_version(),
                                  static_cast<int>(req.num_chunks())};
      }
    }
    if (n_items == 2 && (items[1].revents & ZMQ_POLLIN)) {
      for (int i = 0; i < 256 && !(o_.serve_rollouts && queue_.full()) &&
                      zmqu::RecvMultipart(ingest_, frames);
           ++i) {
        if (frames.size() != 2) {
          proto::ChunkAck ack;
          Reject(frames[0].to_string(), ack,
                 "expected one frame per chunk, got " + std::to_string(frames.size() - 1));
          continue;
        }
        FLEET_RETURN_IF_ERROR(HandleChunk(frames[0].to_string(), frames[1]));
      }
    }
    ServeRollout();
  }
  if (recorder_) {
    FLEET_RETURN_IF_ERROR(recorder_->Close());
    log_->info("dataset: {} steps, {} episodes in {} shards", recorder_->steps_written(),
               recorder_->episodes_written(), recorder_->shards());
  }
  log_->info("stopped: {} accepted ({} steps), {} rejected, {} duplicate, {} dropped stale chunks",
             stats_.accepted_chunks(), stats_.accepted_steps(), stats_.rejected_chunks(),
             stats_.duplicate_chunks(), stats_.dropped_stale_chunks());
  return OkStatus();
}

}  // namespace

Status StoreOptions::Validate() const {
  if (ingest_endpoint.empty()) return InvalidArgumentError("store needs --ingest");
  if (rollout_endpoint.empty()) return InvalidArgumentError("store needs --rollout");
  if (config.store.record && run_dir.empty()) {
    return InvalidArgumentError("store.record needs --run-dir");
  }
  return config.Validate();
}

Status RunStore(const StoreOptions& options) {
  FLEET_RETURN_IF_ERROR(options.Validate());
  FLEET_ASSIGN_OR_RETURN(auto spec, envs::GetSpec(options.config.env.id, options.config.env.options));
  ChunkExpectations expect;
  expect.env_id = spec.id;
  expect.obs_dim = spec.observation_space.FlatDim();
  expect.action_dim = spec.action_space.is_discrete() ? 0 : spec.action_space.FlatDim();
  expect.num_actions = spec.action_space.is_discrete() ? static_cast<int>(spec.action_space.n) : 0;
  expect.max_episode_steps = spec.max_episode_steps;
  expect.reward_min = spec.reward_min;
  expect.reward_max = spec.reward_max;
  if (options.config.store.record) {
    FLEET_RETURN_IF_ERROR(CheckOptionalColumns(options.record_infos));
    for (const std::string& c : options.record_infos) {
      expect.require_logprobs = expect.require_logprobs || c == kLogprob.name;
      expect.require_values = expect.require_values || c == kValue.name;
    }
  }
  try {
    Store store(options, expect, spec);
    return store.Run();
  } catch (const zmq::error_t& e) {
    return UnavailableError(std::string("store socket error: ") + e.what());
  }
}

}  // namespace fleet::replay
