// A router of specialists for a composite env (envs/composite/sequential_env.h;
// proto::Router): for each env of the batch, the phase encoded in its observation picks
// that phase's specialist, which acts on the phase's own observation (the padded block
// cut to the phase env's size); its action goes back encoded the composite's way
// (SequentialEnv::EncodeAction: a discrete choice as +1 at its index, -1 elsewhere; a
// Box action in the first entries, zeros after). The envs of one phase are acted on in
// one batched call to their specialist. Specialists must be memoryless (an actor-critic
// MLP or a squashed Gaussian): a Decision Transformer keeps a context per batch row,
// which a batch regrouped by phase at every step would scramble.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actor/policy.h"
#include "common/status.h"
#include "envs/composite/sequential_env.h"
#include "proto/fleet.pb.h"

namespace fleet::actor {

struct PolicyChoice;

class RouterPolicy : public Policy {
 public:
  // InvalidArgument naming the problem: `spec` is not the router's composite env, a
  // specialist count that is not the phase count, a specialist that does not fit its
  // phase's env, a specialist with memory.
  static StatusOr<std::unique_ptr<RouterPolicy>> Create(const proto::Router& router,
                                                        const envs::EnvSpec& spec,
                                                        const PolicyChoice& choice);

  uint64_t version() const override { return 0; }
  PolicyOutputs outputs() const override { return {}; }
  void Act(std::span<const float> obs, int n, std::mt19937_64& rng, std::span<float> actions,
           std::span<float> logprobs, std::span<float> values) override;
  void Observe(std::span<const float> rewards, std::span<const uint8_t> episode_ended) override;

  int num_phases() const { return static_cast<int>(specialists_.size()); }
  // handovers so far: steps on which an env's acting specialist differed from the one
  // that acted on its previous step of the same episode.
  int64_t switches() const { return switches_; }
  // row's handovers since the last call for it (an evaluator's per-episode count).
  int64_t TakeSwitches(int row);

 private:
  RouterPolicy() = default;

  std::unique_ptr<envs::SequentialEnv> layout_;  // the composite's phases, for their specs
  std::vector<std::unique_ptr<Policy>> specialists_;
  std::vector<int> last_phase_;
  std::vector<int64_t> row_switches_;
  int64_t switches_ = 0;
  // per phase: the rows of the batch in it, their observations and actions
  std::vector<std::vector<int>> rows_;
  std::vector<float> sub_obs_, sub_actions_, scratch_;
};

// A router for the composite env `env_id` (with `options`) from its phases' specialists,
// in phase order (`fleet router`), checked as RouterPolicy::Create checks them.
StatusOr<proto::PolicyWeights> MakeRouterWeights(const std::string& env_id,
                                                 const std::map<std::string, std::string>& options,
                                                 std::vector<proto::PolicyWeights> specialists);

}  // namespace fleet::actor
