#include "envs/env.h"

#include <cmath>

namespace fleet::envs {

void Env::Reset(std::optional<uint64_t> seed, std::span<float> obs) {
  FLEET_CHECK(static_cast<int>(obs.size()) == obs_dim());
  elapsed_steps_ = 0;
  DoReset(seed, obs.data());
}

Status Env::ValidateAction(std::span<const float> action) const {
  const Space& as = spec_.action_space;
  if (static_cast<int>(action.size()) != as.FlatDim()) {
    return InvalidArgumentError(spec_.id + ": action has " + std::to_string(action.size()) +
                                " values, the action space " + as.ToString() + " needs " +
                                std::to_string(as.FlatDim()));
  }
  for (float a : action) {
    if (!std::isfinite(a)) {
      return InvalidArgumentError(spec_.id + ": action contains a non-finite value");
    }
  }
  if (as.is_discrete()) {
    const float a = action[0];
    if (a != std::floor(a) || a < as.start || a >= as.start + as.n) {
      return InvalidArgumentError(spec_.id + ": discrete action " + std::to_string(a) +
                                  " is not in " + as.ToString());
    }
  }
  return OkStatus();
}

StatusOr<StepResult> Env::Step(std::span<const float> action, std::span<float> obs) {
  FLEET_CHECK(static_cast<int>(obs.size()) == obs_dim());
  FLEET_RETURN_IF_ERROR(ValidateAction(action));
  StepResult r = DoStep(action.data(), obs.data());
  ++elapsed_steps_;
  if (spec_.max_episode_steps > 0 && elapsed_steps_ >= spec_.max_episode_steps) {
    r.truncated = true;
  }
  return r;
}

Status CheckStateSize(const std::string& env_id, std::span<const double> state,
                      size_t expected) {
  if (state.size() != expected) {
    return InvalidArgumentError(env_id + ": state has " + std::to_string(state.size()) +
                                " values, expected " + std::to_string(expected));
  }
  for (double v : state) {
    if (!std::isfinite(v)) return InvalidArgumentError(env_id + ": state holds a non-finite value");
  }
  return OkStatus();
}

}  // namespace fleet::envs
