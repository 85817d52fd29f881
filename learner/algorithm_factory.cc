// learner.algo -> its implementation. The one place that lists the Algorithm classes.
#include "learner/algorithm.h"
#include "learner/dt_algorithm.h"
#include "learner/policy_gradient.h"
#include "learner/ppo_algorithm.h"
#include "learner/sac_algorithm.h"

namespace fleet::learner {

StatusOr<std::unique_ptr<Algorithm>> MakeAlgorithm(const ExperimentConfig& config,
                                                   const envs::EnvSpec& spec,
                                                   const DatasetStats* dataset) {
  FLEET_ASSIGN_OR_RETURN(const AlgorithmInfo* info, FindAlgorithm(config.learner.algo));
  if (info->name == "ppo") {
    FLEET_ASSIGN_OR_RETURN(std::unique_ptr<PpoAlgorithm> ppo, PpoAlgorithm::Create(config, spec));
    return std::unique_ptr<Algorithm>(std::move(ppo));
  }
  if (info->name == "dt") {
    if (dataset == nullptr) return InternalError("the Decision Transformer needs its dataset's statistics");
    FLEET_ASSIGN_OR_RETURN(std::unique_ptr<DtAlgorithm> dt, DtAlgorithm::Create(config, spec, *dataset));
    return std::unique_ptr<Algorithm>(std::move(dt));
  }
  if (info->name == "reinforce") {
    FLEET_ASSIGN_OR_RETURN(std::unique_ptr<ReinforceAlgorithm> a, ReinforceAlgorithm::Create(config, spec));
    return std::unique_ptr<Algorithm>(std::move(a));
  }
  if (info->name == "grpo") {
    FLEET_ASSIGN_OR_RETURN(std::unique_ptr<GrpoAlgorithm> a, GrpoAlgorithm::Create(config, spec));
    return std::unique_ptr<Algorithm>(std::move(a));
  }
  if (info->name == "sac") {
    FLEET_ASSIGN_OR_RETURN(std::unique_ptr<SacAlgorithm> a, SacAlgorithm::Create(config, spec));
    return std::unique_ptr<Algorithm>(std::move(a));
  }
  return InternalError("algorithm '" + info->name + "' is registered but has no implementation");
}

}  // namespace fleet::learner
