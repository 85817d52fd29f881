// D4RL's normalized score: 100 * (return - random) / (expert - random), with D4RL's
// reference returns of a random and an expert policy per locomotion env (Fu et al. 2020,
// d4rl/infos.py REF_MIN_SCORE / REF_MAX_SCORE for halfcheetah, hopper, walker2d).
#pragma once

#include <optional>
#include <string>

namespace fleet::replay {

struct D4rlReference {
  const char* name;  // D4RL's env name
  double random, expert;
};

// By Fleet env id (HalfCheetah-v5, Hopper-v5, Walker2d-v5, any version); nullopt for
// envs D4RL has no reference for.
std::optional<D4rlReference> D4rlReferenceFor(const std::string& env_id);

inline double D4rlNormalized(double episode_return, const D4rlReference& ref) {
  return 100.0 * (episode_return - ref.random) / (ref.expert - ref.random);
}

}  // namespace fleet::replay
