// Episode-writer options for the CartPole chunks of tests/test_util.h.
#pragma once

#include <string>

#include "replay/episode_writer.h"

namespace fleet::testing {

inline replay::EpisodeWriterOptions CartPoleWriterOptions(const std::string& dir) {
  replay::EpisodeWriterOptions o;
  o.dir = dir;
  o.env_id = "CartPole-v1";
  o.obs_dim = 4;
  return o;
}

}  // namespace fleet::testing
