#include "replay/store.h"

#include "common/curve.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <random>
#include <vector>

#include <zmq.hpp>

#include "common/heartbeat.h"
#include "common/logging.h"
#include "common/signals.h"
#include "common/zmq_util.h"
#include "envs/registry.h"
#include "replay/chunk_validator.h"
#include "replay/dedup.h"
#include "replay/episode_dataset.h"
#include "replay/manifest.h"
#include "replay/recorder.h"
#include "replay/rollout_queue.h"
#include "replay/transition_table.h"

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

struct PendingSample {
  std::string identity;
  int transitions = 0;
};

// An off-policy run's replay table (config replay.capacity > 0), or null.
std::unique_ptr<TransitionTable> MakeReplayTable(const ExperimentConfig& cfg, int obs_dim,
                                                 int action_dim) {
  if (cfg.replay.capacity == 0) return nullptr;
  RateLimiterOptions lo;
  lo.samples_per_insert = cfg.replay.samples_per_insert;
  lo.min_size_to_sample = cfg.replay.min_size;
  lo.error_buffer = cfg.ReplayErrorBuffer();
  auto limiter = RateLimiter::Create(lo);
  FLEET_CHECK_MSG(limiter.ok(), limiter.status().ToString());  // the config was validated
  return std::make_unique<TransitionTable>(obs_dim, action_dim, cfg.replay.capacity,
                                           std::move(*limiter));
}

class Store {
 public:
  Store(const StoreOptions& o, ChunkExpectations expect, const envs::EnvSpec& spec)
      : o_(o),
        observation_space_(spec.observation_space),
        action_space_(spec.action_space),
        log_(GetLogger("store")),
        expect_(std::move(expect)),
        queue_(o.config.store.queue_chunks, o.config.store.max_policy_lag),
        table_(o.serve_rollouts ? MakeReplayTable(o.config, expect_.obs_dim, expect_.action_dim)
                                : nullptr),
        chunk_steps_(int64_t{o.config.actors.steps_per_chunk} * o.config.env.num_envs),
        rng_(o.config.run.seed),
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
  void ServeSample();
  // the rollout socket's requests, until none is left to read.
  void ReadRequests(std::vector<zmq::message_t>& frames);
  // answers a request at once with an error header (nothing else follows).
  void RefuseRequest(const zmq::message_t& identity, const std::string& why);
  // while false the ingest socket is not read: actors run out of credit and wait.
  bool CanTakeChunk() const {
    if (!o_.serve_rollouts) return true;
    return table_ ? table_->CanInsert(chunk_steps_) : !queue_.full();
  }
  void UpdateReplayStats();

  const StoreOptions& o_;
  envs::Space observation_space_, action_space_;
  std::shared_ptr<spdlog::logger> log_;
  ChunkExpectations expect_;
  RolloutQueue queue_;
  std::unique_ptr<TransitionTable> table_;  // off-policy runs, instead of the queue
  int64_t chunk_steps_;                     // steps of a chunk, as configured
  std::mt19937_64 rng_;
  std::optional<PendingSample> pending_sample_;
  // what the table took in since the last sample reply
  uint64_t inserted_steps_ = 0;
  std::vector<float> inserted_returns_;
  std::vector<uint32_t> inserted_lengths_;
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
  if (table_) {
    table_->InsertChunkNow(chunk);
    inserted_steps_ += steps;
    inserted_returns_.insert(inserted_returns_.end(), chunk.episode_returns().begin(),
                             chunk.episode_returns().end());
    inserted_lengths_.insert(inserted_lengths_.end(), chunk.episode_lengths().begin(),
                             chunk.episode_lengths().end());
    UpdateReplayStats();
  } else if (o_.serve_rollouts) {
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

void Store::UpdateReplayStats() {
  if (!table_) return;
  stats_.set_replay_size(table_->size());
  stats_.set_replay_inserts(table_->limiter().inserts());
  stats_.set_replay_samples(table_->limiter().samples());
  stats_.set_replay_evicted(table_->evicted());
}

void Store::RefuseRequest(const zmq::message_t& identity, const std::string& why) {
  log_->warn("refused a learner request: {}", why);
  proto::RolloutHeader header;
  header.set_error(why);
  *header.mutable_stats() = stats_;
  zmq::message_t id(identity.data(), identity.size());
  (void)zmqu::RetryOnInterrupt([&] { return rollout_.send(id, zmq::send_flags::sndmore); });
  (void)zmqu::SendProto(rollout_, header);
}

void Store::ServeSample() {
  if (!pending_sample_) return;
  TransitionBatch batch;
  if (!table_->TrySample(pending_sample_->transitions, rng_, batch)) return;
  UpdateReplayStats();
  proto::RolloutHeader header;
  *header.mutable_stats() = stats_;
  proto::TransitionSample& sample = *header.mutable_sample();
  sample.set_size(static_cast<uint32_t>(batch.size));
  sample.set_obs_dim(static_cast<uint32_t>(expect_.obs_dim));
  sample.set_action_dim(static_cast<uint32_t>(expect_.action_dim));
  sample.mutable_observations()->Add(batch.obs.begin(), batch.obs.end());
  sample.mutable_actions()->Add(batch.actions.begin(), batch.actions.end());
  sample.mutable_rewards()->Add(batch.rewards.begin(), batch.rewards.end());
  sample.mutable_next_observations()->Add(batch.next_obs.begin(), batch.next_obs.end());
  sample.set_terminated(std::string(batch.terminated.begin(), batch.terminated.end()));
  header.set_inserted_steps(inserted_steps_);
  header.mutable_inserted_episode_returns()->Add(inserted_returns_.begin(), inserted_returns_.end());
  header.mutable_inserted_episode_lengths()->Add(inserted_lengths_.begin(), inserted_lengths_.end());
  inserted_steps_ = 0;
  inserted_returns_.clear();
  inserted_lengths_.clear();
  zmq::message_t id(pending_sample_->identity.data(), pending_sample_->identity.size());
  (void)zmqu::RetryOnInterrupt([&] { return rollout_.send(id, zmq::send_flags::sndmore); });
  (void)zmqu::SendProto(rollout_, header);
  pending_sample_.reset();
}

void Store::ReadRequests(std::vector<zmq::message_t>& frames) {
  while (zmqu::RecvMultipart(rollout_, frames)) {
    proto::RolloutRequest req;
    if (frames.size() != 2 || !zmqu::ParseProto(frames[1], req).ok()) {
      log_->warn("ignored malformed rollout request");
      continue;
    }
    if (req.stats_only()) {
      UpdateReplayStats();
      proto::RolloutHeader header;
      *header.mutable_stats() = stats_;
      (void)zmqu::RetryOnInterrupt([&] { return rollout_.send(frames[0], zmq::send_flags::sndmore); });
      (void)zmqu::SendProto(rollout_, header);
      continue;
    }
    if (!o_.serve_rollouts) {
      RefuseRequest(frames[0], "this store only records (fleet collect): it serves no learner");
      continue;
    }
    if (req.sample_transitions() > 0) {
      if (!table_) {
        RefuseRequest(frames[0], "a sample of transitions was asked for, but this store has no "
                                 "replay table (config replay.capacity is 0): it serves rollouts");
      } else if (req.num_chunks() > 0) {
        RefuseRequest(frames[0], "a request asked for both chunks and a sample of transitions");
      } else if (static_cast<int64_t>(req.sample_transitions()) > o_.config.replay.max_sample) {
        RefuseRequest(frames[0], "a sample of " + std::to_string(req.sample_transitions()) +
                                     " transitions is over replay.max_sample (" +
                                     std::to_string(o_.config.replay.max_sample) + ")");
      } else {
        // one request at a time per store: a newer one (a learner that reconnected)
        // replaces it
        pending_sample_ = PendingSample{frames[0].to_string(), static_cast<int>(req.sample_transitions())};
      }
      continue;
    }
    if (req.num_chunks() == 0) {
      RefuseRequest(frames[0], "a rollout request asked for no chunks");
      continue;
    }
    if (table_) {
      RefuseRequest(frames[0], "this store serves samples from its replay table (config "
                               "replay.capacity > 0), not rollouts: ask with sample_transitions");
      continue;
    }
    pending_ = PendingRequest{frames[0].to_string(), req.learner_version(),
                              static_cast<int>(req.num_chunks())};
  }
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
    if (table_ && recorder_->steps_written() > 0) {
      // a resumed off-policy run: its replay table starts from what the run recorded
      std::vector<std::string> warnings;
      auto episodes = EpisodeDataset::Load(wo.dir, &warnings);
      for (const auto& w : warnings) log_->warn("replay refill: {}", w);
      if (episodes.ok()) {
        const int64_t n = table_->Refill(**episodes);
        UpdateReplayStats();
        log_->info("replay table refilled with {} transitions from the recorded dataset ({} "
                   "episodes, {} steps)", n, (*episodes)->episodes(), (*episodes)->steps());
      } else {
        log_->warn("replay table not refilled: {}", episodes.status().ToString());
      }
    }
  }
  char host[256] = "?";
  ::gethostname(host, sizeof(host) - 1);
  log_->info("on {}: serving ingest at {}, {} at {}", host, o_.ingest_endpoint,
             table_ ? "replay samples" : "rollouts", o_.rollout_endpoint);
  if (table_) {
    log_->info("replay table: {} transitions, {} samples per insert, minimum size {}, error "
               "buffer {}", o_.config.replay.capacity, o_.config.replay.samples_per_insert,
               o_.config.replay.min_size, o_.config.ReplayErrorBuffer());
  }
  std::vector<zmq::message_t> frames;
  while (!StopRequested()) {
    Beat();  // the supervisor's liveness check (common/heartbeat.h)
    zmq::pollitem_t items[] = {{rollout_.handle(), 0, ZMQ_POLLIN, 0},
                               {ingest_.handle(), 0, ZMQ_POLLIN, 0}};
    // backpressure: while the queue is full (or the replay table's rate limiter refuses a
    // chunk) the ingest socket is not read until the learner takes a batch (or a sample).
    const int n_items = CanTakeChunk() ? 2 : 1;
    try {
      zmq::poll(items, n_items, std::chrono::milliseconds(100));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      return InternalError(std::string("poll failed: ") + e.what());
    }
    if (items[0].revents & ZMQ_POLLIN) ReadRequests(frames);
    if (n_items == 2 && (items[1].revents & ZMQ_POLLIN)) {
      for (int i = 0; i < 256 && CanTakeChunk() && zmqu::RecvMultipart(ingest_, frames); ++i) {
        if (frames.size() != 2) {
          proto::ChunkAck ack;
          Reject(frames[0].to_string(), ack,
                 "expected one frame per chunk, got " + std::to_string(frames.size() - 1));
          continue;
        }
        FLEET_RETURN_IF_ERROR(HandleChunk(frames[0].to_string(), frames[1]));
      }
    }
    ServeSample();
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
  if (table_) {
    UpdateReplayStats();
    log_->info("replay table: {} of {} transitions held, {} inserted, {} sampled, {} evicted",
               stats_.replay_size(), table_->capacity(), stats_.replay_inserts(),
               stats_.replay_samples(), stats_.replay_evicted());
  }
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
