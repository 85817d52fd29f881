#include "envs/vector_env.h"

#include "envs/registry.h"

namespace fleet::envs {

void VectorStepOutput::Clear() {
  final_indices.clear();
  final_observations.clear();
  episode_returns.clear();
  episode_lengths.clear();
}

StatusOr<std::unique_ptr<VectorEnv>> VectorEnv::Create(
    const std::string& id, int num_envs, const std::map<std::string, std::string>& options) {
  if (num_envs < 1) return InvalidArgumentError("num_envs must be >= 1");
  std::vector<std::unique_ptr<Env>> envs;
  for (int i = 0; i < num_envs; ++i) {
    FLEET_ASSIGN_OR_RETURN(auto env, MakeEnv(id, options));
    envs.push_back(std::move(env));
  }
  return std::unique_ptr<VectorEnv>(new VectorEnv(std::move(envs)));
}

VectorEnv::VectorEnv(std::vector<std::unique_ptr<Env>> envs)
    : envs_(std::move(envs)), episode_return_(envs_.size()), episode_length_(envs_.size()) {}

void VectorEnv::Reset(uint64_t seed, std::span<float> obs) {
  const int d = obs_dim();
  FLEET_CHECK(static_cast<int>(obs.size()) == num_envs() * d);
  for (int i = 0; i < num_envs(); ++i) {
    envs_[i]->Reset(seed + i, obs.subspan(i * d, d));
    episode_return_[i] = 0.0;
    episode_length_[i] = 0;
  }
}

Status VectorEnv::Step(std::span<const float> actions, std::span<float> obs,
                       std::span<float> rewards, std::span<uint8_t> terminated,
                       std::span<uint8_t> truncated, VectorStepOutput& out) {
  const int n = num_envs(), d = obs_dim(), w = action_width();
  if (static_cast<int>(actions.size()) != n * w) {
    return InvalidArgumentError(spec().id + ": expected " + std::to_string(n * w) +
                                " action values for " + std::to_string(n) + " envs, got " +
                                std::to_string(actions.size()));
  }
  FLEET_CHECK(static_cast<int>(obs.size()) == n * d);
  // all actions are checked before any env moves, so a bad batch changes nothing.
  for (int i = 0; i < n; ++i) {
    if (Status st = envs_[i]->ValidateAction(actions.subspan(i * w, w)); !st.ok()) {
      return InvalidArgumentError("env " + std::to_string(i) + ": " + st.message());
    }
  }
  out.Clear();
  for (int i = 0; i < n; ++i) {
    auto o = obs.subspan(i * d, d);
    auto r = envs_[i]->Step(actions.subspan(i * w, w), o);
    FLEET_CHECK_MSG(r.ok(), r.status().ToString());
    rewards[i] = static_cast<float>(r->reward);
    terminated[i] = r->terminated;
    truncated[i] = r->truncated;
    episode_return_[i] += r->reward;
    episode_length_[i] += 1;
    if (r->terminated || r->truncated) {
      out.final_indices.push_back(i);
      out.final_observations.insert(out.final_observations.end(), o.begin(), o.end());
      out.episode_returns.push_back(episode_return_[i]);
      out.episode_lengths.push_back(episode_length_[i]);
      episode_return_[i] = 0.0;
      episode_length_[i] = 0;
      envs_[i]->Reset(std::nullopt, o);
    }
  }
  return OkStatus();
}

}  // namespace fleet::envs
