// The learner's algorithms as the rest of Fleet sees them, without libtorch: each one's
// name (`learner.algo`), where its batches come from, what its actors' policy reports per
// step (so a recording store knows its columns), and the config sections it owns, read and
// validated here. The orchestrator and the learner load configs through LoadRunConfig, so
// a bad algorithm section is reported before any process starts; actors and the store read
// the same file with LoadExperimentConfig and never look at these sections.
//
// Adding an algorithm: its config struct (like ppo_config.h), an entry in Algorithms()
// (algorithm_registry.cc), its Algorithm implementation and a line in MakeAlgorithm
// (algorithm_factory.cc). docs/ARCHITECTURE.md, "Where new things go", has the list.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/experiment_config.h"
#include "common/status.h"

namespace fleet::learner {

// Where an algorithm's batches come from; the role's loop (learner.cc) and the launch
// plan (orchestrator/launch_plan.h) read it.
enum class BatchSource {
  kRollouts,  // FIFO on-policy chunks from the store, policy-lag bounded (PPO)
  kOffline,   // windows from the recorded dataset learner.dataset (the Decision Transformer)
  kReplay,    // uniform samples of transitions from the store's replay table (SAC)
};

struct AlgorithmInfo {
  std::string name;
  std::string description;
  BatchSource source = BatchSource::kRollouts;
  // the dataset columns the actors' policy fills besides the action ("infos/logprob",
  // "infos/value"): what a recording store records for this algorithm.
  std::vector<std::string> behaviour_infos;
  // the sections under `learner:` it reads (e.g. "network", "ppo").
  std::vector<std::string> sections;
  // Reads and checks its sections of `config`; errors name the key.
  std::function<Status(const ExperimentConfig&)> validate;
  // Writes its sections back into `config` with every default filled in (the resolved
  // config.yaml lists every value a run used).
  std::function<void(ExperimentConfig&)> resolve;
};

const std::vector<AlgorithmInfo>& Algorithms();

// InvalidArgument naming `learner.algo` and the known algorithms.
StatusOr<const AlgorithmInfo*> FindAlgorithm(const std::string& name);

// learner.algo names a known algorithm, every section under `learner:` belongs to one, and
// each known section reads and validates.
Status ValidateLearnerConfig(const ExperimentConfig& config);

// LoadExperimentConfig + ValidateLearnerConfig + the selected algorithm's sections
// resolved: what the orchestrator writes as RUN_DIR/config.yaml and the learner reads.
StatusOr<ExperimentConfig> LoadRunConfig(const std::string& path,
                                         const std::vector<std::string>& overrides = {});
StatusOr<ExperimentConfig> ParseRunConfig(const std::string& yaml_text,
                                          const std::vector<std::string>& overrides = {});

// Reads section `name` of `learner:` into `out` (defaults where absent), strictly.
template <class T>
Status ReadLearnerSection(const ExperimentConfig& config, const std::string& name, T& out) {
  return config::ReadSection(config.learner.sections, name, "learner." + name, out);
}

}  // namespace fleet::learner
