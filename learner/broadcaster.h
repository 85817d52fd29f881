// The learner's outgoing sockets: versioned weights to the actors (PUB; a SUB socket
// drops what arrives before it connects, so the latest weights are republished: every
// 10 ms until the first batch shows the actors have them, every 250 ms after) and progress
// to the orchestrator (PUB, the status line). No libtorch. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <zmq.hpp>

#include "common/curve.h"
#include "proto/fleet.pb.h"

namespace fleet::learner {

class Broadcaster {
 public:
  // Either endpoint may be empty: nobody to publish to (an offline learner has no actors;
  // no orchestrator listening).
  Broadcaster(zmq::context_t& ctx, const std::string& weights_endpoint,
              const std::string& stats_endpoint);

  // Stamps them with the current epoch (PolicyWeights.weights_epoch).
  void PublishWeights(const proto::PolicyWeights& weights);
  // Draws a new epoch and publishes the latest weights again under it: actors start
  // their pacing over (the chunks of the round were lost with a restarted store).
  void NewEpoch();
  // Sends the latest weights again if they are older than `every`.
  void RepublishIfDue(std::chrono::milliseconds every);
  void PublishStats(const proto::LearnerStats& stats);

 private:
  void SendWeights();

  std::unique_ptr<ZapHandler> zap_;  // tcp: admits authorized CURVE clients only
  zmq::socket_t weights_, stats_;
  bool has_weights_, has_stats_;
  std::string weights_bytes_;
  proto::PolicyWeights latest_;
  uint64_t epoch_;
  std::chrono::steady_clock::time_point last_publish_;
};

}  // namespace fleet::learner
