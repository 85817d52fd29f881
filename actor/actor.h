// The actor role, composed of: a Policy (policy.h; the learner's weights arriving on a
// SUB socket, latest wins, swapped only between chunks so every step of a chunk carries
// one policy version; or collect.policy), a ChunkBuilder (chunk_builder.h) that steps a
// VectorEnv, a ChunkSender (chunk_sender.h: acknowledgements, resends, credit) and a
// Pacing (pacing.h: how far ahead of the learner the actor may run). Every chunk carries
// the actor process's random epoch, so a restarted actor's sequences are not mistaken for
// resends.
//
// Collect mode (fleet collect): no learner; on a stop signal the actor drains: it keeps
// resending until every chunk it sent is acknowledged (or drain_timeout_ms passes).
#pragma once

#include <cstdint>
#include <string>

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

// Runs until the learner publishes stop, a stop signal arrives, or an error. Returns OK on
// a clean stop.
Status RunActor(const ActorOptions& options);

}  // namespace fleet::actor
