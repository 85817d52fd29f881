// A Decision Transformer acting (the official gym code's evaluate_episode_rtg): per env a
// context of the last K steps (normalized state, action, return-to-go, timestep); each
// Act appends the new state with the current return-to-go and predicts its action from
// the model (the mean action, tanh'd; the argmax for discrete actions), all of an actor's
// envs in one forward pass; Observe records
// the action taken and lowers the return-to-go by the reward (scaled); a finished episode
// starts over from the target return. Deterministic: it reports neither log-probs nor
// values. Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "actor/dt_model.h"
#include "actor/policy.h"

namespace fleet::actor {

class DtPolicy : public Policy {
 public:
  // target_return: env units; 0 keeps the one trained with (in the weights).
  DtPolicy(DtModel model, uint64_t version, double target_return = 0.0);

  uint64_t version() const override { return version_; }
  PolicyOutputs outputs() const override { return {}; }
  void Act(std::span<const float> obs, int n, std::mt19937_64& rng, std::span<float> actions,
           std::span<float> logprobs, std::span<float> values) override;
  void Observe(std::span<const float> rewards, std::span<const uint8_t> episode_ended) override;

  double target_return() const { return target_; }

 private:
  struct Step {
    std::vector<float> state, action;
    float rtg = 0;
    int64_t timestep = 0;
  };
  struct Context {
    std::deque<Step> steps;
    float rtg = 0;  // scaled, for the next step
    int64_t timestep = 0;
  };

  DtModel model_;
  uint64_t version_;
  double target_;
  std::vector<Context> envs_;
  std::vector<int> lengths_;
  std::vector<float> states_, actions_, rtg_, out_;
  std::vector<int64_t> timesteps_;
};

}  // namespace fleet::actor
