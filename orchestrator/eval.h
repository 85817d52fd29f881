// `fleet eval CHECKPOINT --env ID --episodes N`: runs a saved policy (the PolicyWeights
// message in RUN_DIR/checkpoints/final_policy.pb, or a path to such a file) with Eigen,
// no libtorch, and reports the mean and standard deviation of the episode return with
// the deterministic policy (argmax / mean action) and the stochastic one.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/status.h"

namespace fleet::orchestrator {

struct EvalOptions {
  std::string checkpoint;  // a run directory or a .pb file
  std::string env_id;      // empty: the run's env (from RUN_DIR/config.yaml)
  int episodes = 10;
  uint64_t seed = 0;
  // Decision Transformers: the return to condition on (0: the one trained with).
  double target_return = 0.0;
};

struct EvalResult {
  std::string env_id;
  double deterministic_mean = 0, deterministic_std = 0;
  double stochastic_mean = 0, stochastic_std = 0;
  int episodes = 0;
};

StatusOr<EvalResult> Evaluate(const EvalOptions& options);

}  // namespace fleet::orchestrator
