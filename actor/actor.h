// The actor role: steps a VectorEnv with the latest policy (Eigen), sends trajectory
// chunks to the store over a ZeroMQ DEALER socket and keeps each one until the store
// acknowledges it (resending after ack_timeout_ms), with at most max_in_flight
// unacknowledged chunks: out of credit, the actor blocks (backpressure). Weights arrive
// on a SUB socket (latest wins) and are swapped only between chunks, so every step of a
// chunk carries one policy version. Every chunk carries the actor process's random epoch
// so a restarted actor's sequences are not mistaken for resends.
//
// Collect mode (fleet collect): no learner; the policy is local (collect.policy: random,
// the env's scripted controller, or a checkpointed policy.pb), and on a stop signal the
// actor drains: it keeps resending until every chunk it sent is acknowledged (or
// drain_timeout_ms passes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/experiment_config.h"
#include "common/status.h"

namespace fleet::actor {

struct ActorOptions {
  int actor_id = 0;
  ExperimentConfig config;
  std::string ingest_endpoint;   // store's ROUTER
  std::string weights_endpoint;  // learner's PUB (not in collect mode)
  bool collect = false;
  // where to write {chunks_sent, chunks_acked, steps_acked, ...} as JSON at exit.
  std::string stats_path;
  int drain_timeout_ms = 30000;

  Status Validate() const;
};

// The per-step outputs of collect.policy besides the action, as dataset columns
// ("infos/logprob", "infos/value"): what a recording store records.
std::vector<std::string> LocalPolicyInfos(const ExperimentConfig& config);

// Runs until the learner publishes stop, a stop signal arrives, or an error. Returns OK on
// a clean stop.
Status RunActor(const ActorOptions& options);

}  // namespace fleet::actor
