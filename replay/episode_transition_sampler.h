// Uniform transitions (s, a, r, s', terminated) from the whole episodes of an
// EpisodeDataset, e.g. a recorded dataset (offline off-policy learning): s' is the next
// step's observation, or the episode's final observation at its last step. Thread-safe
// (shares the dataset's lock for reading).
#pragma once

#include <random>

#include "common/status.h"
#include "replay/episode_dataset.h"
#include "replay/transition_batch.h"

namespace fleet::replay {

class EpisodeTransitionSampler {
 public:
  explicit EpisodeTransitionSampler(const EpisodeDataset& data) : data_(data) {}
  // FailedPrecondition on an empty dataset.
  Status Sample(int batch, std::mt19937_64& rng, TransitionBatch& out) const;

 private:
  const EpisodeDataset& data_;
};

}  // namespace fleet::replay
