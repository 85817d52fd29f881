// How far an actor may run ahead of the learner, chosen from the config (MakePacing):
// - lockstep (actors.sync: true): after sending a chunk made with version v, wait for
//   weights newer than v. Every chunk is on-policy; runs are deterministic under a seed.
// - lag-bounded (actors.sync: false, learner-fed): act while the learner trains, but at
//   most store.max_policy_lag versions ahead: with C chunks per update shared by K actors,
//   an actor may have sent (v - v0 + 1 + lag) * C / K chunks by the time it holds
//   version v (v0: the first version it received). Chunks are then not made faster than
//   the learner uses them (the store would only drop them as stale).
// - free (collect mode, local policies; off-policy runs with a replay table, whose rate
//   limiter withholds acknowledgements while the learner is behind): only the store's
//   credit slows the actor.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/experiment_config.h"

namespace fleet::actor {

class Pacing {
 public:
  virtual ~Pacing() = default;
  virtual const char* name() const = 0;
  // After sending its `chunks_sent`-th chunk, made with `made_with` (`first_version` being
  // the first version the actor received): must it wait for newer weights before the next?
  virtual bool MustWaitForNewerWeights(uint64_t made_with, uint64_t first_version,
                                       int64_t chunks_sent) const = 0;
};

// learner_fed: the policy comes from a learner (fleet run); else free.
std::unique_ptr<Pacing> MakePacing(const ExperimentConfig& config, bool learner_fed);

}  // namespace fleet::actor
