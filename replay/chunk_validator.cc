#include "replay/chunk_validator.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace fleet::replay {
namespace {

Status SizeError(const char* field, int64_t got, int64_t want) {
  return InvalidArgumentError(std::string("chunk field '") + field + "' has " +
                              std::to_string(got) + " values, expected " + std::to_string(want));
}

template <class Repeated>
Status CheckFinite(const char* field, const Repeated& values) {
  for (int i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values.Get(i))) {
      return InvalidArgumentError(std::string("chunk field '") + field +
                                  "' holds a non-finite value at index " + std::to_string(i));
    }
  }
  return OkStatus();
}

Status CheckFlags(const char* field, const std::string& bytes, int64_t want) {
  if (static_cast<int64_t>(bytes.size()) != want) return SizeError(field, bytes.size(), want);
  for (char c : bytes) {
    if (c != 0 && c != 1) return InvalidArgumentError(std::string("chunk field '") + field +
                                                      "' holds a value other than 0 or 1");
  }
  return OkStatus();
}

}  // namespace

Status ValidateChunk(const proto::TrajectoryChunk& c, const ChunkExpectations& e) {
  if (c.env_id() != e.env_id) {
    return InvalidArgumentError("chunk env_id '" + c.env_id() + "' is not this run's '" +
                                e.env_id + "'");
  }
  if (static_cast<int>(c.obs_dim()) != e.obs_dim) {
    return InvalidArgumentError("chunk obs_dim " + std::to_string(c.obs_dim()) +
                                " does not match the env's " + std::to_string(e.obs_dim));
  }
  if (static_cast<int>(c.action_dim()) != e.action_dim) {
    return InvalidArgumentError("chunk action_dim " + std::to_string(c.action_dim()) +
                                " does not match the env's " + std::to_string(e.action_dim));
  }
  if (c.num_steps() == 0 || c.num_envs() == 0) {
    return InvalidArgumentError("chunk has no steps (num_steps or num_envs is 0)");
  }
  const int64_t steps = int64_t{c.num_steps()} * c.num_envs();
  if (steps > (int64_t{1} << 28)) return InvalidArgumentError("chunk declares too many steps");
  const int64_t d = e.obs_dim;
  if (c.observations_size() != steps * d) return SizeError("observations", c.observations_size(), steps * d);
  if (c.rewards_size() != steps) return SizeError("rewards", c.rewards_size(), steps);
  if (c.logprobs_size() != steps && (c.logprobs_size() != 0 || e.require_logprobs)) {
    return SizeError("logprobs", c.logprobs_size(), steps);
  }
  if (c.values_size() != steps && (c.values_size() != 0 || e.require_values)) {
    return SizeError("values", c.values_size(), steps);
  }
  if (c.next_observations_size() != int64_t{c.num_envs()} * d) {
    return SizeError("next_observations", c.next_observations_size(), int64_t{c.num_envs()} * d);
  }
  if (e.action_dim == 0) {
    if (c.discrete_actions_size() != steps) {
      return SizeError("discrete_actions", c.discrete_actions_size(), steps);
    }
    for (int i = 0; i < c.discrete_actions_size(); ++i) {
      const int a = c.discrete_actions(i);
      if (a < 0 || a >= e.num_actions) {
        return InvalidArgumentError("chunk discrete action " + std::to_string(a) +
                                    " at index " + std::to_string(i) + " is outside [0, " +
                                    std::to_string(e.num_actions) + ")");
      }
    }
  } else {
    if (c.continuous_actions_size() != steps * e.action_dim) {
      return SizeError("continuous_actions", c.continuous_actions_size(), steps * e.action_dim);
    }
    FLEET_RETURN_IF_ERROR(CheckFinite("continuous_actions", c.continuous_actions()));
  }
  FLEET_RETURN_IF_ERROR(CheckFlags("terminated", c.terminated(), steps));
  FLEET_RETURN_IF_ERROR(CheckFlags("truncated", c.truncated(), steps));
  const int64_t finals = c.final_indices_size();
  if (c.final_observations_size() != finals * d) {
    return SizeError("final_observations", c.final_observations_size(), finals * d);
  }
  int64_t ended = 0;
  for (int64_t i = 0; i < steps; ++i) ended += (c.terminated()[i] | c.truncated()[i]) ? 1 : 0;
  if (ended != finals) {
    return InvalidArgumentError("chunk has " + std::to_string(ended) + " episode ends but " +
                                std::to_string(finals) + " final observations");
  }
  for (uint32_t idx : c.final_indices()) {
    if (idx >= steps || !(c.terminated()[idx] | c.truncated()[idx])) {
      return InvalidArgumentError("chunk final index " + std::to_string(idx) +
                                  " is not an episode end");
    }
  }
  if (c.episode_returns_size() != c.episode_lengths_size()) {
    return InvalidArgumentError("chunk episode_returns and episode_lengths differ in length");
  }
  if (c.episode_returns_size() != finals) {
    return InvalidArgumentError("chunk has " + std::to_string(finals) + " episode ends but " +
                                std::to_string(c.episode_returns_size()) +
                                " episode returns and lengths (one per ended episode)");
  }
  if (c.episode_seeds_size() != 0 && c.episode_seeds_size() != finals) {
    return InvalidArgumentError("chunk has " + std::to_string(finals) + " episode ends but " +
                                std::to_string(c.episode_seeds_size()) +
                                " episode seeds (none, or one per ended episode)");
  }
  FLEET_RETURN_IF_ERROR(CheckFinite("episode_returns", c.episode_returns()));
  FLEET_RETURN_IF_ERROR(CheckFinite("rewards", c.rewards()));
  // float32 rewards of a double-valued bound: a relative slack of 1e-6
  const auto slack = [](double b) { return 1e-6 * std::max(1.0, std::abs(b)); };
  for (int i = 0; i < c.rewards_size(); ++i) {
    const double r = c.rewards(i);
    if (r < e.reward_min - slack(e.reward_min) || r > e.reward_max + slack(e.reward_max)) {
      return InvalidArgumentError("chunk reward " + std::to_string(r) + " at index " +
                                  std::to_string(i) + " is outside the env's range [" +
                                  std::to_string(e.reward_min) + ", " +
                                  std::to_string(e.reward_max) + "]");
    }
  }
  {
    // per env: where its current episode began in the chunk (-1: before the chunk)
    const int64_t n = c.num_envs();
    std::vector<int64_t> begin(n, -1);
    for (int k = 0; k < c.final_indices_size(); ++k) {
      const int64_t idx = c.final_indices(k), env = idx % n, t = idx / n;
      const int64_t in_chunk = t - std::max<int64_t>(begin[env], 0) + 1;
      const int64_t len = c.episode_lengths(k);
      const std::string which = "chunk episode " + std::to_string(k) + " (env " +
                                std::to_string(env) + ", step " + std::to_string(t) + ")";
      if (len < in_chunk || (begin[env] >= 0 && len != in_chunk)) {
        return InvalidArgumentError(which + " has length " + std::to_string(len) + ", but " +
                                    std::to_string(in_chunk) + " of its steps are in the chunk" +
                                    (begin[env] >= 0 ? " and it began there" : ""));
      }
      const double ret = c.episode_returns(k);
      const double lo = len * e.reward_min, hi = len * e.reward_max;
      if (ret < lo - slack(lo) || ret > hi + slack(hi)) {
        return InvalidArgumentError(which + " has return " + std::to_string(ret) + ", outside [" +
                                    std::to_string(lo) + ", " + std::to_string(hi) +
                                    "], what " + std::to_string(len) +
                                    " steps of the env's reward range allow");
      }
      if (e.max_episode_steps > 0 && len > e.max_episode_steps) {
        return InvalidArgumentError(which + " has length " + std::to_string(len) +
                                    ", beyond the env's limit of " +
                                    std::to_string(e.max_episode_steps) + " steps");
      }
      if (begin[env] >= 0) {
        double sum = 0;
        for (int64_t s = begin[env]; s <= t; ++s) sum += c.rewards(static_cast<int>(s * n + env));
        if (std::abs(ret - sum) > 1e-3 * std::max(1.0, std::abs(sum))) {
          return InvalidArgumentError(which + " has return " + std::to_string(ret) +
                                      ", but its rewards sum to " + std::to_string(sum));
        }
      }
      begin[env] = t + 1;
    }
  }
  FLEET_RETURN_IF_ERROR(CheckFinite("observations", c.observations()));
  FLEET_RETURN_IF_ERROR(CheckFinite("next_observations", c.next_observations()));
  FLEET_RETURN_IF_ERROR(CheckFinite("final_observations", c.final_observations()));
  FLEET_RETURN_IF_ERROR(CheckFinite("rewards", c.rewards()));
  FLEET_RETURN_IF_ERROR(CheckFinite("logprobs", c.logprobs()));
  FLEET_RETURN_IF_ERROR(CheckFinite("values", c.values()));
  return OkStatus();
}

}  // namespace fleet::replay
