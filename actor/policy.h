// What an actor acts with. A Policy maps a batch of raw observations to actions and, where
// it has them, the log-probability of each action under it and a value estimate: what an
// on-policy learner needs (the chunk's logprobs and values) and what a dataset records as
// infos/logprob and infos/value. Kinds today (policies.h): the learner's MLP
// actor-critic (from a PolicyWeights message; sampled, or greedy for evaluation), uniform
// random, an env's scripted controller, a Decision Transformer (dt_policy.h), a router of
// specialists for a composite env (router_policy.h). A new kind is a new subclass plus a
// line in PolicyFromWeights (policies.cc). Not thread-safe.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace fleet::actor {

// What Act fills besides the actions.
struct PolicyOutputs {
  bool logprob = false;
  bool value = false;
  // as dataset columns: "infos/logprob", "infos/value" (replay/columns.h).
  std::vector<std::string> Columns() const;
};

class Policy {
 public:
  virtual ~Policy() = default;
  // the learner's weight version acting (0 for a policy that does not come from one).
  virtual uint64_t version() const = 0;
  virtual PolicyOutputs outputs() const = 0;
  // obs: (n x obs_dim) raw observations. actions: (n x action_width), a discrete action
  // as its index; the values are what the policy chose (a Gaussian sample is not clipped
  // to the action bounds here: ChunkBuilder clips what goes to the env). logprobs and
  // values: (n), written only where outputs() says so.
  virtual void Act(std::span<const float> obs, int n, std::mt19937_64& rng,
                   std::span<float> actions, std::span<float> logprobs,
                   std::span<float> values) = 0;
  // What the env did with the actions of the last Act: each env's reward, and whether its
  // episode ended (the next Act sees the next episode's first observation). Policies with
  // memory (a Decision Transformer's context and return-to-go) update it here.
  virtual void Observe(std::span<const float> rewards, std::span<const uint8_t> episode_ended) {}
};

}  // namespace fleet::actor
