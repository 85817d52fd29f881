// `fleet eval CHECKPOINT [--env ID] --episodes N [--actors P] [--target-return R]`: runs a
// saved policy (RUN_DIR/checkpoints/final_policy.pb, or a path to a PolicyWeights file:
// an actor-critic or a Decision Transformer) in P actor processes (`fleet actor --eval`,
// Eigen, no libtorch), N episodes spread over them (episode i is reset with seed + i,
// whatever P), and reports the mean and standard deviation of the return: for an
// actor-critic with the deterministic policy (argmax / mean action) and the stochastic
// one; for a Decision Transformer conditioned on the target return. With a D4RL
// reference for the env, also the D4RL-normalized score. For TicTacToe-v0, also the
// greedy policy's exact outcome against both built-in players (every game walked).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace fleet::orchestrator {

struct EvalOptions {
  std::string checkpoint;  // a run directory or a .pb file
  std::string env_id;      // empty: the run's env (from RUN_DIR/config.yaml)
  int episodes = 10;
  uint64_t seed = 0;
  int actors = 2;          // processes the episodes are spread over
  int envs_per_actor = 8;  // envs each steps together
  // Decision Transformers: the return to condition on (0: the one trained with).
  double target_return = 0.0;
  std::string bin_dir;     // holds `fleet`
  std::string logs_dir;    // where the eval actors' logs go; empty: a temp dir
  // env options on top of the run's (key=value; e.g. opponent=minimax for TicTacToe-v0).
  std::vector<std::string> env_options;
};

// A composite env's episodes (envs::SequentialEnv), phase by phase.
struct CompositeResult {
  struct Phase {
    std::string name;
    double mean_return = 0;  // the composite's scaled rewards in this phase
    double clear_rate = 0;
  };
  double success_rate = 0;   // every phase played cleared
  double mean_switches = 0;  // a router's handovers per episode (0 for other policies)
  std::vector<Phase> phases;
};

struct ModeResult {
  double mean = 0, std = 0;
  // per episode, the sum of squared (clipped) Box actions; 0 for discrete actions
  double mean_control_effort = 0;
  // the policy's Act time per env step (a batched call's time shared by its envs)
  double act_us_per_step = 0;
  std::optional<CompositeResult> composite;
  std::optional<double> d4rl_score;
  // games (every return -1, 0 or +1, as a two-player env's): the fractions lost, drawn, won.
  std::optional<double> loss_rate, draw_rate, win_rate;
};

struct EvalResult {
  std::string env_id;
  int episodes = 0;
  bool transformer = false;
  // what the policy file holds: "actor_critic", "squashed_gaussian" (SAC),
  // "decision_transformer" or "router" (of specialists, for a composite env)
  std::string policy = "actor_critic";
  double target_return = 0;
  int64_t parameters = 0;  // what acting reads (actor::ActingParameterCount)
  ModeResult deterministic;
  std::optional<ModeResult> stochastic;  // actor-critic policies only
  double episodes_per_second = 0;
  // TicTacToe-v0, actor-critic: the greedy policy's exact win/draw/loss probabilities
  // against the random and the minimax player by walking the game tree
  // (envs::tictactoe::ExactOutcomeAgainst), beside the sampled games above:
  // {"random": {...}, "minimax": {...}}.
  std::optional<Json> game_tree;
  Json ToJson() const;
};

StatusOr<EvalResult> Evaluate(const EvalOptions& options);

// --env-option KEY=VALUE arguments into `options` (later ones win); InvalidArgument
// naming one without "=" or a key.
Status ParseEnvOptions(const std::vector<std::string>& key_values,
                       std::map<std::string, std::string>& options);

}  // namespace fleet::orchestrator
