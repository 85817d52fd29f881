// The store role: a ZeroMQ ROUTER for actors' chunks (ingest) and one for the learner's
// rollout requests, served by one event-loop thread.
//
// Ingest: each chunk is size-checked, parsed, validated and deduplicated by (actor id,
// sequence), then acknowledged with a ChunkAck; a rejected chunk gets an ack with the
// reason, is counted and logged, and nothing else is affected. While the rollout queue is
// full the store stops reading the ingest socket, so actors run out of credit and block.
// Rollouts: a RolloutRequest is answered, once enough fresh chunks are queued, with a
// RolloutHeader frame followed by the chunks' bytes (FIFO, policy-lag bounded).
// Recording (store.record): every accepted chunk goes to the write-ahead log before its
// ack, and its steps to run_dir/dataset/ as HDF5 shards (replay/recorder.h); a store
// started on an existing dataset recovers it first, and with a replay table (replay:,
// off-policy runs) refills the table with the dataset's newest transitions (a resumed
// SAC run continues from its replay data). A RolloutRequest with stats_only is
// answered at once with the counters (the orchestrator's progress line).
#pragma once

#include <string>
#include <vector>

#include "common/experiment_config.h"
#include "common/status.h"

namespace fleet::replay {

struct StoreOptions {
  ExperimentConfig config;
  std::string ingest_endpoint;
  std::string rollout_endpoint;
  std::string run_dir;  // for the dataset; may be empty when recording is off
  // false: only record (fleet collect); no rollout queue, so nothing to backpressure on.
  bool serve_rollouts = true;
  // recording: the optional columns to record (replay/columns.h), i.e. what the run's
  // behaviour policy produces; chunks without them are rejected. Decided by the launch
  // plan (orchestrator/launch_plan.h), passed as `fleet store --record-infos`.
  std::vector<std::string> record_infos;

  Status Validate() const;
};

// Serves until a stop signal; flushes the dataset and returns OK on a clean stop.
Status RunStore(const StoreOptions& options);

}  // namespace fleet::replay
