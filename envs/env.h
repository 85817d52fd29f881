// The Env interface, with Gymnasium 1.x semantics: Reset(seed) returns the first
// observation; Step(action) returns reward, terminated, truncated and the next
// observation. The time limit (Gymnasium's TimeLimit wrapper) is applied here, so every
// env truncates at spec().max_episode_steps. Not thread-safe: one env, one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include <limits>

#include "envs/space.h"

namespace fleet::envs {

struct EnvSpec {
  std::string id;
  Space observation_space;
  Space action_space;
  int max_episode_steps = 0;  // 0: no limit
  std::optional<double> reward_threshold;
  // the range of one step's reward (Gymnasium's Env.reward_range), where the env's reward
  // is bounded by construction; unbounded otherwise. The store checks chunks against it.
  double reward_min = -std::numeric_limits<double>::infinity();
  double reward_max = std::numeric_limits<double>::infinity();
  // Discrete action spaces with legal moves: observation entries [offset, offset + n) are
  // the action mask (1 legal, 0 not); policies give masked actions probability 0. -1: none.
  int action_mask_offset = -1;
  // Options that shape training data, not the task (exploration noise in a game's
  // opponent, random openings): `fleet eval RUN` does not carry them over from the run's
  // config, so that it measures the task itself (an explicit --env-option still sets them).
  std::vector<std::string> training_only_options;
};

struct StepResult {
  double reward = 0.0;
  bool terminated = false;
  bool truncated = false;
};

class Env {
 public:
  explicit Env(EnvSpec spec) : spec_(std::move(spec)) {}
  virtual ~Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  const EnvSpec& spec() const { return spec_; }
  int obs_dim() const { return spec_.observation_space.FlatDim(); }
  // Floats per action: 1 for discrete (the index), else the Box's size.
  int action_width() const { return spec_.action_space.FlatDim(); }

  // Starts an episode. With a seed, the env's generator is reseeded first (as Gymnasium's
  // reset(seed=...)); without one it continues. `obs` holds obs_dim() floats.
  void Reset(std::optional<uint64_t> seed, std::span<float> obs);

  // Advances one step. `action` holds action_width() floats; a discrete action must be an
  // integral value in the space. Returns InvalidArgument (and leaves the env unchanged)
  // for an action of the wrong length, out of range, or not finite.
  StatusOr<StepResult> Step(std::span<const float> action, std::span<float> obs);

  int elapsed_steps() const { return elapsed_steps_; }

  // The check Step() applies: OK, or InvalidArgument naming the problem.
  Status ValidateAction(std::span<const float> action) const;

 protected:
  virtual void DoReset(std::optional<uint64_t> seed, float* obs) = 0;
  // `action` was validated by Step(); discrete actions arrive as their index.
  virtual StepResult DoStep(const float* action, float* obs) = 0;

  EnvSpec spec_;

 private:
  int elapsed_steps_ = 0;
};

// Envs whose physical state is a small float64 vector (classic control) expose it like
// Gymnasium's `env.unwrapped.state`, for tests and for users who set up situations.
class PhysicalStateAccess {
 public:
  virtual ~PhysicalStateAccess() = default;
  virtual std::vector<double> GetState() const = 0;
  // InvalidArgument for a state of the wrong length or with non-finite values. The step
  // counter is not touched; the next Step() starts from this state.
  virtual Status SetState(std::span<const double> state) = 0;
};

// Two-player envs whose second player lives inside the env (TicTacToe-v0): a policy can
// take its seat. The opponent gets the observation from its own side (the env's layout,
// its own marks positive) and whether this is its first move of the game, and returns its
// discrete action; -1 leaves the move to the env's built-in opponent. Called from inside
// Reset() and Step(), on the thread that runs the env.
class OpponentSeat {
 public:
  using Opponent = std::function<int(std::span<const float> obs, bool new_game)>;
  virtual ~OpponentSeat() = default;
  // nullptr: back to the built-in opponent.
  virtual void SetOpponent(Opponent opponent) = 0;
};

// Envs whose episodes can end at a goal say whether the last step reached it: the car at
// the flag, the acrobot's tip above the line, the lander at rest, the walker at the end
// of its course. A goal always ends the episode (terminated); a termination that is not
// a goal (a crash, a fall) is a failure. Composite envs (envs/composite/) clear a phase
// on it; survival tasks (CartPole) have no goal and do not implement this.
class TaskOutcome {
 public:
  virtual ~TaskOutcome() = default;
  // the last Step() reached the goal; false after Reset().
  virtual bool goal_reached() const = 0;
};

// Shared check for SetState implementations.
Status CheckStateSize(const std::string& env_id, std::span<const double> state, size_t expected);

}  // namespace fleet::envs
