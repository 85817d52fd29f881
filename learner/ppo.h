// PPO with the clipped surrogate objective (Schulman et al. 2017), following CleanRL's
// ppo.py: GAE, per-minibatch advantage normalization, clipped value loss, entropy bonus,
// Adam (eps 1e-5), global gradient-norm clipping, linear learning-rate annealing.
// The probability ratio is taken against the behavior policy's log-probs carried in the
// rollout, so chunks made by a slightly older policy stay correct; values are recomputed
// with the current critic. With norm_obs, each segment is normalized with the statistics
// its behaviour policy used, then the batch goes into the running statistics. Depends on
// libtorch only (no networking, no protobuf); the learner role reaches it through
// PpoAlgorithm (ppo_algorithm.h). Not thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "learner/actor_critic.h"
#include "learner/normalizers.h"
#include "learner/ppo_config.h"
#include "learner/torch_runtime.h"

namespace fleet::learner {

// One rollout segment (a trajectory chunk): T steps x N envs, time-major. Views into
// memory owned by the caller.
struct SegmentView {
  int num_steps = 0;
  int num_envs = 0;
  std::span<const float> observations;  // (T x N x obs_dim)
  std::span<const int32_t> discrete_actions;   // (T x N), discrete spaces
  std::span<const float> continuous_actions;   // (T x N x action_dim), continuous spaces
  std::span<const float> rewards;       // (T x N)
  std::span<const uint8_t> terminated;  // (T x N)
  std::span<const uint8_t> truncated;   // (T x N)
  std::span<const float> logprobs;      // (T x N), behavior policy
  std::span<const float> next_observations;  // (N x obs_dim)
  std::span<const uint32_t> final_indices;   // flat step indices of episode ends
  std::span<const float> final_observations;  // (len(final_indices) x obs_dim)
  // With norm_obs: the observation statistics the behaviour policy normalized with (those
  // shipped with its weights), so that the update sees the inputs the logprobs came from;
  // null means the statistics as they were before this update.
  const RunningMeanStd* obs_rms = nullptr;
};

struct UpdateStats {
  double policy_loss = 0, value_loss = 0, entropy = 0, approx_kl = 0, clip_fraction = 0;
  double explained_variance = 0, learning_rate = 0;
  int64_t samples = 0;
  int minibatch_steps = 0;
};

// The loss of one minibatch and its diagnostics (CleanRL ppo.py's update, term by term):
//   advantages normalized per minibatch (norm_adv),
//   policy_loss = mean(max(-A r, -A clip(r, 1 - clip_coef, 1 + clip_coef))), r = exp(logratio),
//   value_loss = 0.5 mean(max((v - R)^2, (v_old + clip(v - v_old, -clip_coef, clip_coef) - R)^2))
//                (clip_vloss; else 0.5 mean((v - R)^2)),
//   loss = policy_loss - ent_coef * mean(entropy) + vf_coef * value_loss,
//   approx_kl = mean((r - 1) - log r), clip_fraction = mean(|r - 1| > clip_coef).
struct PpoLossTerms {
  torch::Tensor loss, policy_loss, value_loss, entropy, approx_kl, clip_fraction;
};
PpoLossTerms ComputePpoLoss(const PolicyOutput& current, const torch::Tensor& behaviour_logprob,
                            torch::Tensor advantages, const torch::Tensor& returns,
                            const torch::Tensor& old_values, const PpoConfig& config);

class Ppo {
 public:
  Ppo(const NetworkOptions& network, const PpoConfig& config, uint64_t seed,
      const std::string& device);

  // One PPO update on the concatenation of `segments`; `lr_fraction` scales the learning
  // rate (CleanRL anneals it linearly from 1 to 0 over the run). With norm_obs each
  // segment is normalized with the statistics its behaviour policy used (see SegmentView),
  // then the running statistics take in the batch for the next weights.
  UpdateStats Update(const std::vector<SegmentView>& segments, double lr_fraction);

  ActorCritic& model() { return model_; }
  // the observation statistics, or nullptr without norm_obs.
  const RunningMeanStd* obs_rms() const { return o_.norm_obs ? &obs_rms_ : nullptr; }
  RunningMeanStd& mutable_obs_rms() { return obs_rms_; }
  float clip_obs() const { return static_cast<float>(o_.clip_obs); }
  torch::optim::Adam& optimizer() { return optimizer_; }
  const torch::Device& device() const { return device_; }

 private:
  NetworkOptions net_;
  PpoConfig o_;
  torch::Device device_;
  ActorCritic model_;
  torch::optim::Adam optimizer_;
  RunningMeanStd obs_rms_;
};

}  // namespace fleet::learner
