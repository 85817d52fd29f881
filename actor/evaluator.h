// Evaluation of a saved policy inside an actor process (`fleet actor --eval`, started by
// `fleet eval` and by an offline learner's periodic evaluation): episodes numbered
// first_episode.. first_episode + episodes - 1, episode i reset with seed + i, so results
// do not depend on how episodes are spread over processes. The envs of the process step
// together and the policy acts on all of them in one call (one batched forward for the
// MLP; one context per env for a Decision Transformer). Continuous actions go to the env
// clipped to its bounds.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "actor/policies.h"
#include "common/json.h"
#include "common/status.h"

namespace fleet::actor {

struct EvalRequest {
  std::string policy_file;
  std::string env_id;
  std::map<std::string, std::string> env_options;
  int first_episode = 0;
  int episodes = 10;
  uint64_t seed = 0;
  int num_envs = 8;  // envs stepped together (at most `episodes`)
  PolicyChoice choice;
};

struct EvalReport {
  std::vector<double> returns;   // by episode, in episode order
  std::vector<int64_t> lengths;
  double seconds = 0;
  int64_t steps = 0;
  // by episode: the sum of squared actions sent to the env (Box actions, after clipping to
  // the bounds; 0 for discrete action spaces); for a composite env, the sum over its
  // phases' own (decoded) Box actions (CompositeEpisode::Phase::control_effort)
  std::vector<double> control_effort;
  double act_seconds = 0;  // time spent in the policy's Act (all envs of a call together)
  // composite envs (envs::SequentialEnv) only, by episode: each phase's return (the
  // composite's scaled rewards) and whether it was cleared, and a router's handovers
  // between specialists (RouterPolicy; 0 for any other policy). Empty otherwise.
  std::vector<std::string> phase_names;
  std::vector<std::vector<double>> phase_returns;
  std::vector<std::vector<int>> phase_cleared;
  std::vector<int> success;  // every phase played cleared
  std::vector<int64_t> switches;
  Json ToJson() const;
  static StatusOr<EvalReport> FromJson(const Json& j, const std::string& what);
};

StatusOr<EvalReport> EvaluatePolicy(const EvalRequest& request);

}  // namespace fleet::actor
