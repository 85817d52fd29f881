// Where a rollout-consuming learner's batches come from (BatchSource::kRollouts): a
// DEALER socket to the store's rollout ROUTER. Asks for N chunks no older than the
// learner's version minus the store's policy-lag bound, and waits for the reply, running
// `idle` every 50 ms meanwhile (the role republishes weights there). Returns the chunks in
// (actor, sequence) order, so synchronous runs are deterministic whatever the arrival
// order, with the store's counters and what it dropped as stale since the last reply. No
// libtorch. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/status.h"
#include "proto/fleet.pb.h"

namespace fleet::learner {

struct Rollout {
  std::vector<proto::TrajectoryChunk> chunks;
  proto::StoreStats store;
  // experience the store dropped for policy lag: still counted as env steps and episodes.
  uint64_t dropped_steps = 0;
  std::vector<float> dropped_episode_returns;
  std::vector<uint32_t> dropped_episode_lengths;
};

class RolloutSource {
 public:
  RolloutSource(zmq::context_t& ctx, const std::string& endpoint, int chunks_per_batch);

  // The next batch for a learner at `version`; nullopt when a stop was requested while
  // waiting. DataLoss for a malformed reply.
  StatusOr<std::optional<Rollout>> Next(uint64_t version, const std::function<void()>& idle);

 private:
  zmq::socket_t socket_;
  int chunks_per_batch_;
  std::vector<zmq::message_t> frames_;
};

}  // namespace fleet::learner
