// What the learner role (learner.cc) needs of an algorithm: consume a batch, export the
// policy actors run, save and restore its state, name its metrics. The role owns
// everything else (where batches come from, weight broadcasts, metrics.csv, TensorBoard,
// checkpoint folders, summary.json), so an algorithm is only its maths and its state.
// Implementations live in their own files (ppo_algorithm.h); MakeAlgorithm picks one by
// `learner.algo`. This header does not include libtorch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/experiment_config.h"
#include "common/status.h"
#include "envs/env.h"
#include "learner/algorithm_registry.h"
#include "learner/offline_source.h"
#include "proto/fleet.pb.h"
#include "replay/transition_batch.h"

namespace fleet::learner {

// One value an update reports: its metrics.csv column and its TensorBoard tag.
struct MetricSpec {
  std::string column;
  std::string tag;
};

// The chunks of one update, in (actor, sequence) order (BatchSource::kRollouts).
struct RolloutBatch {
  std::vector<proto::TrajectoryChunk> chunks;
};

// What an offline algorithm draws for each update and for how many updates.
struct OfflinePlan {
  int batch_size = 0;
  int context_len = 0;
  int64_t updates = 0;
  int log_every = 1;  // a metrics row every this many updates
};

// What an off-policy algorithm asks the store's replay table for (BatchSource::kReplay).
struct ReplayPlan {
  int batch_size = 0;     // transitions per update
  int publish_every = 1;  // new weights for the actors every this many updates
  int log_every = 1;      // a metrics row every this many updates
};

struct UpdateProgress {
  int64_t update = 0;       // updates done before this one
  int64_t num_updates = 1;  // planned for the whole run
};

class Algorithm {
 public:
  virtual ~Algorithm() = default;

  virtual const AlgorithmInfo& info() const = 0;
  // One line for the log: what it trains, on which device.
  virtual std::string Describe() const = 0;
  // The values Update returns, in order.
  virtual const std::vector<MetricSpec>& metrics() const = 0;
  // BatchSource::kOffline algorithms: what to draw.
  virtual OfflinePlan offline_plan() const { return {}; }
  // BatchSource::kReplay algorithms: what to sample.
  virtual ReplayPlan replay_plan() const { return {}; }

  // One update from on-policy chunks (BatchSource::kRollouts). May change the batch (e.g.
  // scale its rewards). InvalidArgument when the chunks lack what the algorithm needs.
  virtual StatusOr<std::vector<double>> Update(RolloutBatch& batch, const UpdateProgress& progress) {
    return FailedPreconditionError(info().name + " does not train from rollouts");
  }
  // One update from dataset windows (BatchSource::kOffline).
  virtual StatusOr<std::vector<double>> Update(const WindowBatch& batch, const UpdateProgress& progress) {
    return FailedPreconditionError(info().name + " does not train from dataset windows");
  }
  // One update from sampled transitions (BatchSource::kReplay).
  virtual StatusOr<std::vector<double>> Update(const replay::TransitionBatch& batch,
                                               const UpdateProgress& progress) {
    return FailedPreconditionError(info().name + " does not train from sampled transitions");
  }

  // The policy actors run at `version` (published, checkpointed, evaluated).
  virtual proto::PolicyWeights ExportPolicy(uint64_t version) = 0;

  // Writes its files into folder `dir`, named with `prefix` ("" in a checkpoint folder,
  // "final_" for the run's final files), and its state message into `state`.
  virtual Status Save(const std::string& dir, const std::string& prefix, std::string* state) = 0;
  // Restores what Save("") wrote into `dir` and `state`. DataLoss when it does not fit.
  virtual Status Restore(const std::string& dir, const std::string& state) = 0;
  // Seeds its random generators (a resumed run reseeds from its seed and update count).
  virtual void Reseed(uint64_t seed) = 0;
};

// The implementation of `config.learner.algo` (algorithm_factory.cc); an offline one gets
// the statistics of its dataset.
StatusOr<std::unique_ptr<Algorithm>> MakeAlgorithm(const ExperimentConfig& config,
                                                   const envs::EnvSpec& spec,
                                                   const DatasetStats* dataset = nullptr);

}  // namespace fleet::learner
