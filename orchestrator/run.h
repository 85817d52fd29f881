// `fleet run`: launches one experiment as local processes (store, learner, K actors),
// shows a live status line, stops everything at the end or on Ctrl-C, and fails naming
// the component that failed. Config errors (unknown key, wrong type, unknown env id) are
// reported before any process starts.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace fleet::orchestrator {

struct RunOptions {
  std::string config_path;
  std::vector<std::string> overrides;  // "key=value"
  std::string run_dir;                 // default: runs/<name>-<timestamp>
  // directory holding the `fleet` and `fleet-learner` executables.
  std::string bin_dir;
  // `--resume RUN_DIR`: continue a stopped or killed run from its latest checkpoint, with
  // its own config.yaml (plus overrides); config_path is then unused.
  std::string resume_dir;
  // "local" (child processes) or "slurm" (job steps of the enclosing Slurm allocation; the
  // batch script of `fleet slurm script` runs fleet with it).
  std::string launcher = "local";
};

// Returns OK when the learner finished; the error names the failed component otherwise.
Status RunExperiment(const RunOptions& options);

// `fleet train-offline CONFIG [--run-dir DIR] [--resume DIR]`: the learner of an offline
// algorithm (learner.algo dt) training from learner.dataset, with the same run directory
// (config.yaml, metrics.csv against gradient steps, TensorBoard, checkpoints,
// summary.json), status line and resume as `fleet run`.
Status TrainOffline(const RunOptions& options);

}  // namespace fleet::orchestrator
