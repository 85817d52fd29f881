#include "actor/chunk_builder.h"

#include <algorithm>

#include "common/heartbeat.h"
#include "common/status.h"

namespace fleet::actor {

ChunkBuilder::ChunkBuilder(envs::VectorEnv& envs, uint32_t actor_id, uint64_t actor_epoch,
                           int steps_per_chunk)
    : envs_(envs), actor_id_(actor_id), actor_epoch_(actor_epoch), steps_(steps_per_chunk) {
  obs_.resize(static_cast<size_t>(envs.num_envs()) * envs.obs_dim());
  actions_.resize(static_cast<size_t>(envs.num_envs()) * envs.action_width());
  env_actions_.resize(actions_.size());
  ended_.resize(envs.num_envs());
}

void ChunkBuilder::Reset(uint64_t seed_base, int group_size) {
  seed_base_ = seed_base;
  if (group_size > 1) {
    envs_.ResetGrouped(seed_base, group_size, obs_);
  } else {
    envs_.Reset(seed_base, obs_);
  }
}

void ChunkBuilder::Build(Policy& policy, std::mt19937_64& rng, uint64_t sequence,
                         proto::TrajectoryChunk& c) {
  const int T = steps_, N = envs_.num_envs(), D = envs_.obs_dim(), W = envs_.action_width();
  const auto& as = envs_.spec().action_space;
  const bool discrete = as.is_discrete();
  const PolicyOutputs outputs = policy.outputs();
  c.Clear();
  c.set_actor_id(actor_id_);
  c.set_actor_epoch(actor_epoch_);
  c.set_env_seed_base(seed_base_);
  c.set_sequence(sequence);
  c.set_policy_version(policy.version());
  c.set_env_id(envs_.spec().id);
  c.set_num_steps(T);
  c.set_num_envs(N);
  c.set_obs_dim(D);
  c.set_action_dim(discrete ? 0 : W);
  c.mutable_observations()->Resize(T * N * D, 0.0f);
  c.mutable_rewards()->Resize(T * N, 0.0f);
  // a policy without log-probs or values sends none (the store records them as absent).
  std::vector<float> unused(N);
  if (outputs.logprob) c.mutable_logprobs()->Resize(T * N, 0.0f);
  if (outputs.value) c.mutable_values()->Resize(T * N, 0.0f);
  std::string& term = *c.mutable_terminated();
  std::string& trunc = *c.mutable_truncated();
  term.assign(T * N, '\0');
  trunc.assign(T * N, '\0');
  if (discrete) {
    c.mutable_discrete_actions()->Resize(T * N, 0);
  } else {
    c.mutable_continuous_actions()->Resize(T * N * W, 0.0f);
  }
  for (int t = 0; t < T; ++t) {
    Beat();  // slow envs or policies: a chunk may take seconds
    std::copy(obs_.begin(), obs_.end(), c.mutable_observations()->mutable_data() + t * N * D);
    std::span<float> logp_t = outputs.logprob
                                  ? std::span<float>(c.mutable_logprobs()->mutable_data() + t * N, N)
                                  : std::span<float>(unused);
    std::span<float> value_t = outputs.value
                                   ? std::span<float>(c.mutable_values()->mutable_data() + t * N, N)
                                   : std::span<float>(unused);
    policy.Act(obs_, N, rng, actions_, logp_t, value_t);
    if (discrete) {
      for (int e = 0; e < N; ++e) c.set_discrete_actions(t * N + e, static_cast<int>(actions_[e]));
    } else {
      std::copy(actions_.begin(), actions_.end(), c.mutable_continuous_actions()->mutable_data() + t * N * W);
      for (int e = 0; e < N; ++e) {
        for (int j = 0; j < W; ++j) {
          env_actions_[e * W + j] = std::clamp(actions_[e * W + j], static_cast<float>(as.low[j]),
                                               static_cast<float>(as.high[j]));
        }
      }
    }
    // the policy's own actions are always valid for the env.
    const Status st = envs_.Step(discrete ? actions_ : env_actions_, obs_,
                                 {c.mutable_rewards()->mutable_data() + t * N, size_t(N)},
                                 {reinterpret_cast<uint8_t*>(term.data()) + t * N, size_t(N)},
                                 {reinterpret_cast<uint8_t*>(trunc.data()) + t * N, size_t(N)},
                                 step_out_);
    FLEET_CHECK_MSG(st.ok(), st.ToString());
    for (int e = 0; e < N; ++e) ended_[e] = term[t * N + e] | trunc[t * N + e];
    policy.Observe({c.rewards().data() + t * N, size_t(N)}, ended_);
    for (size_t k = 0; k < step_out_.final_indices.size(); ++k) {
      c.add_final_indices(t * N + step_out_.final_indices[k]);
      c.add_episode_returns(static_cast<float>(step_out_.episode_returns[k]));
      c.add_episode_lengths(step_out_.episode_lengths[k]);
      if (!step_out_.episode_seeds.empty()) c.add_episode_seeds(step_out_.episode_seeds[k]);
    }
    c.mutable_final_observations()->Add(step_out_.final_observations.begin(),
                                        step_out_.final_observations.end());
  }
  c.mutable_next_observations()->Add(obs_.begin(), obs_.end());
}

}  // namespace fleet::actor
