// The policies actors run (actor/policy.h) and how a config picks one.
#pragma once

#include <memory>
#include <string>

#include "actor/dt_policy.h"
#include "actor/mlp_policy.h"
#include "actor/policy.h"
#include "actor/router_policy.h"
#include "actor/squashed_gaussian_policy.h"
#include "common/experiment_config.h"
#include "common/status.h"
#include "envs/env.h"
#include "envs/registry.h"
#include "proto/fleet.pb.h"

namespace fleet::actor {

// The learner's actor-critic (Eigen): samples from it, or takes its mode (argmax / mean)
// when deterministic.
class ActorCriticPolicy : public Policy {
 public:
  ActorCriticPolicy(MlpPolicy mlp, bool deterministic)
      : mlp_(std::move(mlp)), deterministic_(deterministic) {}
  uint64_t version() const override { return mlp_.version(); }
  PolicyOutputs outputs() const override { return {!deterministic_, true}; }
  void Act(std::span<const float> obs, int n, std::mt19937_64& rng, std::span<float> actions,
           std::span<float> logprobs, std::span<float> values) override;
  void Observe(std::span<const float>, std::span<const uint8_t> episode_ended) override {
    mlp_.EndEpisodes(episode_ended);
  }

 private:
  MlpPolicy mlp_;
  bool deterministic_;
};

// Uniform over the action space; log-prob -log(n) or -sum log(high - low).
class RandomPolicy : public Policy {
 public:
  explicit RandomPolicy(envs::Space action_space) : space_(std::move(action_space)) {}
  // An env with an action mask (envs::EnvSpec::action_mask_offset): uniform over the legal
  // actions of each observation.
  // `version`: the learner's, when it asked for random actions (an off-policy warm-up).
  explicit RandomPolicy(const envs::EnvSpec& spec, uint64_t version = 0)
      : space_(spec.action_space),
        mask_offset_(spec.action_mask_offset),
        obs_dim_(spec.observation_space.FlatDim()),
        version_(version) {}
  uint64_t version() const override { return version_; }
  PolicyOutputs outputs() const override { return {true, false}; }
  void Act(std::span<const float> obs, int n, std::mt19937_64& rng, std::span<float> actions,
           std::span<float> logprobs, std::span<float> values) override;

 private:
  envs::Space space_;
  int mask_offset_ = -1, obs_dim_ = 0;
  uint64_t version_ = 0;
};

// The env's scripted controller (envs::GetScriptedController), deterministic.
class ScriptedPolicy : public Policy {
 public:
  ScriptedPolicy(envs::ScriptedController controller, int obs_dim, int action_width)
      : controller_(std::move(controller)), obs_dim_(obs_dim), action_width_(action_width) {}
  uint64_t version() const override { return 0; }
  PolicyOutputs outputs() const override { return {}; }
  void Act(std::span<const float> obs, int n, std::mt19937_64& rng, std::span<float> actions,
           std::span<float> logprobs, std::span<float> values) override;

 private:
  envs::ScriptedController controller_;
  int obs_dim_, action_width_;
};

// How a saved policy acts: sampled or greedy (actor-critic), and the return a Decision
// Transformer is conditioned on (0: the one it was trained with).
struct PolicyChoice {
  bool deterministic = false;
  double target_return = 0.0;
  // a sampled Gaussian actor-critic: new noise every this many steps of a row (env),
  // held in between (actors.noise_hold_steps)
  int noise_hold_steps = 1;
};

// A PolicyWeights message for `spec` (an actor-critic, a Decision Transformer, a squashed
// Gaussian or uniform random);
// InvalidArgument when its shapes do not fit.
StatusOr<std::unique_ptr<Policy>> PolicyFromWeights(const proto::PolicyWeights& weights,
                                                    const envs::EnvSpec& spec, PolicyChoice choice);
// The PolicyWeights message in a policy.pb file: NotFound / DataLoss naming the file.
StatusOr<proto::PolicyWeights> ReadPolicyFile(const std::string& path);
// A policy.pb file (a run's checkpoints/final_policy.pb or checkpoints/latest/policy.pb).
StatusOr<std::unique_ptr<Policy>> LoadPolicyFile(const std::string& path,
                                                 const envs::EnvSpec& spec, PolicyChoice choice);

// The learned numbers acting reads: an actor-critic's actor MLP and log-std (not its
// critic), a squashed Gaussian's trunk and heads, every tensor of a Decision Transformer,
// the sum over a router's specialists; 0 for uniform random.
int64_t ActingParameterCount(const proto::PolicyWeights& weights);

// collect.policy (random, scripted, checkpoint) for `spec`.
StatusOr<std::unique_ptr<Policy>> MakeCollectPolicy(const CollectSection& collect,
                                                    const envs::EnvSpec& spec);
// What collect.policy's Act fills (the store's recorded columns), without an env: a
// checkpoint's file is read to see what kind of policy it holds.
StatusOr<PolicyOutputs> CollectPolicyOutputs(const CollectSection& collect);

}  // namespace fleet::actor
