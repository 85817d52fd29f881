// PPO with the clipped surrogate objective (Schulman et al. 2017), following CleanRL's
// ppo.py: GAE, per-minibatch advantage normalization, clipped value loss, entropy bonus,
// Adam (eps 1e-5), global gradient-norm clipping, linear learning-rate annealing.
// The probability ratio is taken against the behavior policy's log-probs carried in the
// rollout, so chunks made by a slightly older policy stay correct; values are recomputed
// with the current critic. With norm_obs, each batch first updates the running
// observation statistics, then every observation is normalized with them. Depends on libtorch only (no networking, no protobuf).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "learner/actor_critic.h"
#include "learner/normalizers.h"

namespace fleet::learner {

struct PpoOptions {
  double learning_rate = 2.5e-4;
  double gamma = 0.99;
  double gae_lambda = 0.95;
  int num_minibatches = 4;
  int update_epochs = 4;
  bool norm_adv = true;
  double clip_coef = 0.2;
  bool clip_vloss = true;
  double ent_coef = 0.01;
  double vf_coef = 0.5;
  double max_grad_norm = 0.5;
  // stop the epochs early once the last minibatch's approx KL exceeds this (checked at
  // the end of each epoch, as CleanRL does); 0: never.
  double target_kl = 0.0;
  bool bootstrap_truncated = true;
  // normalize observations with running statistics (CleanRL's NormalizeObservation,
  // clipped to +-clip_obs); the statistics travel to the actors with the weights.
  bool norm_obs = false;
  float clip_obs = 10.0f;
  uint64_t seed = 1;
  std::string device = "cpu";  // "cpu", "cuda", "auto"
};

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

class Ppo {
 public:
  Ppo(const NetworkOptions& network, const PpoOptions& options);

  // One PPO update on the concatenation of `segments`; `lr_fraction` scales the learning
  // rate (CleanRL anneals it linearly from 1 to 0 over the run). With norm_obs each
  // segment is normalized with the statistics its behaviour policy used (see SegmentView),
  // then the running statistics take in the batch for the next weights.
  UpdateStats Update(const std::vector<SegmentView>& segments, double lr_fraction);

  ActorCritic& model() { return model_; }
  // the observation statistics, or nullptr without norm_obs.
  const RunningMeanStd* obs_rms() const { return o_.norm_obs ? &obs_rms_ : nullptr; }
  RunningMeanStd& mutable_obs_rms() { return obs_rms_; }
  float clip_obs() const { return o_.clip_obs; }
  torch::optim::Adam& optimizer() { return optimizer_; }
  const torch::Device& device() const { return device_; }

 private:
  NetworkOptions net_;
  PpoOptions o_;
  torch::Device device_;
  ActorCritic model_;
  torch::optim::Adam optimizer_;
  RunningMeanStd obs_rms_;
};

// Resolves "auto" to cuda when a GPU is visible.
torch::Device ResolveDevice(const std::string& name);

// Process-wide settings for fast CPU training, applied once by a process that runs PPO
// updates (the learner, the update benchmark):
// - denormals flushed to zero: tiny gradients (from the 0.01-gain policy head) slow x86
//   float math several-fold; measured 4.4 -> 3.1 ms per 1024-sample PPO step.
// - glibc malloc keeps freed memory: by default it returns the top of the heap to the
//   kernel once 128 KiB are free there (and serves blocks above a moving threshold with
//   mmap), so every minibatch's tensors, freed at its end, were page-faulted in and zeroed
//   again by the next: 25% of a 16384-sample 256-256 update's profile was kernel
//   page-fault time. The heap now stays at its peak, one update's working set.
void ConfigureCpuForTraining();

}  // namespace fleet::learner
