// An offline learner's evaluations, beside its training: `fleet eval` on a policy snapshot
// as a child process (fork + exec: actor processes on Eigen, no libtorch), at most one at
// a time; the role polls it between updates and logs what it returns. The episodes are
// learner.eval_episodes over learner.eval_actors processes, seeds from run.seed. No
// libtorch. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/experiment_config.h"
#include "common/process.h"
#include "common/status.h"

namespace fleet::learner {

struct EvalRow {
  int64_t update = 0;
  double mean = 0, std = 0;
  std::optional<double> d4rl_score;
  double seconds = 0;
};

class Evaluations {
 public:
  Evaluations(const ExperimentConfig& config, std::string run_dir, std::string bin_dir);

  bool running() const { return child_.has_value(); }
  // Starts evaluating `policy_file` (the policy after `update` updates). False when one is
  // still running (this one is skipped) or it could not start (logged).
  bool Start(const std::string& policy_file, int64_t update);
  // The running evaluation's result once it has finished (nullopt while it runs or when
  // none runs); an evaluation that failed is an error naming its log.
  StatusOr<std::optional<EvalRow>> Poll();
  // Waits for the running evaluation (if any) up to `timeout`.
  StatusOr<std::optional<EvalRow>> Wait(std::chrono::seconds timeout);

 private:
  const ExperimentConfig& cfg_;
  std::string run_dir_, bin_dir_;
  std::optional<ChildProcess> child_;
  int64_t update_ = 0;
  std::string json_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace fleet::learner
