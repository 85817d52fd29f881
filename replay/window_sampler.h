// Fixed-length windows of K steps with returns-to-go for a Decision Transformer, drawn
// from an EpisodeDataset as the Decision Transformer's gym code samples (Chen et al. 2021):
// an episode with probability proportional to its length, the window's start uniform over
// its steps; a window that runs past the episode's end is padded at the front (mask 0).
// Returns-to-go are undiscounted sums of the rewards from each step to the episode's end.
// O(log episodes) per draw plus the copy of K steps. Thread-safe (shares the dataset's
// lock for reading).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "common/status.h"
#include "replay/episode_dataset.h"

namespace fleet::replay {

struct Window {
  int k = 0;
  std::vector<float> obs, actions, rewards, returns_to_go;
  std::vector<int64_t> timesteps;  // step index within the episode
  std::vector<uint8_t> mask;       // 1 where a step is present
  int64_t episode = -1;
};

class WindowSampler {
 public:
  WindowSampler(const EpisodeDataset& data, int k) : data_(data), k_(k) {}
  // FailedPrecondition on an empty dataset.
  Status Sample(std::mt19937_64& rng, Window& out) const;

 private:
  const EpisodeDataset& data_;
  int k_;
};

}  // namespace fleet::replay
