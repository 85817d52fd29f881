// The learner role (executable fleet-learner, the only process that loads libtorch):
// asks the store for rollouts (a DEALER to the store's rollout ROUTER), runs PPO updates,
// publishes versioned weights to actors (PUB, republished every 10 ms until the first
// rollout and every 250 ms after, so late joiners get them) and progress to the orchestrator (PUB), writes metrics.csv, summary.json and
// checkpoints into the run directory. On reaching learner.total_env_steps (or a stop
// signal) it checkpoints, writes the summary and publishes a stop to the actors.
// Checkpoints (RUN_DIR/checkpoints/latest, replaced atomically every
// learner.checkpoint_every updates and at the end) hold the model, the optimizer, the
// normalizer statistics and the run's counters; after a resume the torch generator is
// reseeded from (seed, updates), so a resumed run is reproducible but not bit-identical
// to an uninterrupted one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/experiment_config.h"
#include "common/status.h"

namespace fleet::learner {

struct LearnerOptions {
  ExperimentConfig config;
  std::string run_dir;
  std::string rollout_endpoint;  // store's rollout ROUTER
  std::string weights_endpoint;  // bound here (PUB)
  std::string stats_endpoint;    // bound here (PUB); may be empty
  // run start as unix time in ms (the orchestrator's launch); 0: now.
  int64_t start_unix_ms = 0;
  // continue from run_dir/checkpoints/latest (model, optimizer, normalizers, counters).
  bool resume = false;
  // started again by the orchestrator after a crash: resume when a checkpoint exists,
  // otherwise start over.
  bool restarted = false;
  // where the `fleet` binary is (evaluations run `fleet eval`).
  std::string bin_dir;

  Status Validate() const;
};

Status RunLearner(const LearnerOptions& options);

}  // namespace fleet::learner
