// Where a rollout-consuming learner's batches come from (BatchSource::kRollouts): a
// DEALER socket to the store's rollout ROUTER. Asks for N chunks no older than the
// learner's version minus the store's policy-lag bound, and waits for the reply, running
// `idle` every 50 ms meanwhile (the role republishes weights there). Returns the chunks in
// (actor, sequence) order, so synchronous runs are deterministic whatever the arrival
// order, with the store's counters and what it dropped as stale since the last reply.
// A store that dies and is restarted (`fleet run` restarts it) loses the request and the
// chunks it was holding: a socket monitor sees the connection come back, the request is
// sent again (the store holds one request at a time, a newer one replaces it) and
// store_reconnects() counts it. No libtorch. Not
// thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/status.h"
#include "proto/fleet.pb.h"
#include "replay/transition_batch.h"

namespace fleet::learner {

struct Rollout {
  std::vector<proto::TrajectoryChunk> chunks;
  proto::StoreStats store;
  // experience the store dropped for policy lag: still counted as env steps and episodes.
  uint64_t dropped_steps = 0;
  std::vector<float> dropped_episode_returns;
  std::vector<uint32_t> dropped_episode_lengths;
};

// A sample of transitions from the store's replay table (BatchSource::kReplay), with the
// steps and episodes the table took in since the previous sample.
struct ReplaySample {
  replay::TransitionBatch batch;
  proto::StoreStats store;
  uint64_t inserted_steps = 0;
  std::vector<float> episode_returns;
  std::vector<uint32_t> episode_lengths;
};

class RolloutSource {
 public:
  RolloutSource(zmq::context_t& ctx, const std::string& endpoint, int chunks_per_batch);

  // The next batch for a learner at `version`; nullopt when a stop was requested while
  // waiting. DataLoss for a malformed reply.
  StatusOr<std::optional<Rollout>> Next(uint64_t version, const std::function<void()>& idle);
  // A uniform sample of `transitions` from the store's replay table, once its rate
  // limiter lets it; the same waiting, idling and reconnection as Next. FailedPrecondition
  // when the store refuses (no replay table, too large a sample), DataLoss for a
  // malformed reply.
  StatusOr<std::optional<ReplaySample>> NextSample(int transitions, const std::function<void()>& idle);
  // Asks for the next sample of `transitions` now, for the next NextSample to collect: the
  // store draws it (its rate limiter waiting for the actors' inserts as needed) while the
  // caller computes. One request in flight at most: FailedPrecondition when one is.
  Status PrefetchSample(int transitions);
  // How often the store's connection came back (a restarted store, which lost the
  // chunks and the request it held; a request in wait is sent again). Counted before
  // `idle` runs.
  int store_reconnects() const { return reconnects_; }

 private:
  // true when the connection to the store was made again since the last call (the
  // monitor's events are read and dropped).
  bool Reconnected();
  // sends `req` and waits for the reply's frames (frames_), resending it to a restarted
  // store; false when a stop was requested.
  StatusOr<bool> Request(const proto::RolloutRequest& req, const std::function<void()>& idle);
  // the two halves of Request: send (the request is then in flight: pending_) and wait.
  Status Send(const proto::RolloutRequest& req);
  StatusOr<bool> Await(const std::function<void()>& idle);
  // the reply's header frame; FailedPrecondition with the store's reason when it refused.
  StatusOr<proto::RolloutHeader> ReplyHeader() const;

  zmq::socket_t socket_;
  zmq::socket_t monitor_;  // PAIR: ZMQ_EVENT_CONNECTED events of socket_
  int connects_ = 0;
  int reconnects_ = 0;
  int chunks_per_batch_;
  std::vector<zmq::message_t> frames_;
  std::optional<proto::RolloutRequest> pending_;  // sent, its reply not yet received
};

}  // namespace fleet::learner
