// A composite env: one episode runs a list of Fleet envs ("phases") in order. A phase is
// cleared by its env's own success (TaskOutcome::goal_reached: the car at the flag, the
// lander at rest, the walker at the end of its course) or, for survival tasks without a
// goal (CartPole), by running `survive_steps` steps without terminating; the next phase's
// env then starts in the same step. A termination that is not a success (a fall, a
// crash, the pole down) ends the episode, terminated; so does a phase that runs out of
// its env's own time limit (the phase timer is in the observation: running out of it is
// part of the task, not an outside cut). Clearing the last phase ends it terminated,
// with goal_reached() true. Truncation (Env's limit, the sum of the phases' limits) can
// only come on the very last step every phase allows, together with that step's
// termination (a success or the last phase out of time).
//
// Observation (float32), for P phases and D = the largest phase observation:
//   [0, P)        the active phase, one-hot
//   P             the phase timer: steps taken in this phase / the phase's step limit
//                 (survive_steps, or its env's max_episode_steps), in [0, 1]
//   [P+1, P+1+D)  the active env's observation, zero-padded to D
// Action: a Box of width W = the largest phase action (a Box's size; a Discrete(n)'s n).
// A Box phase takes the first entries it needs; a Discrete(n) phase takes start + the
// index of the largest of the first n entries (the first on ties; CartPole: a[1] > a[0]
// pushes right). Entries a phase does not use are ignored. Bounds: per entry, the widest
// of the phases' Box bounds, [-1, 1] where only Discrete phases reach.
// Reward: the active env's reward divided by its phase's reward_scale (the return that
// counts as solving the phase), so that no phase dominates the sum; plus the phase's
// clear_bonus on the step that clears it (option `clear_bonus`, 0 by default).
// Seeding: Reset(seed) reseeds the composite's generator; every phase's env is reset, as
// the episode reaches it, with the next number from that generator, so an episode is
// fixed by its seed. The episode's step limit is the sum of the phases' limits.
//
// Registered as Sequential-v0 (any list of env ids, by options) and Endgame-v0 (CartPole
// balance, BipedalWalker bridge run, MountainCarContinuous gap jump, LunarLanderContinuous
// landing; RegisterCompositeEnvs in sequential_env.cc).
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "envs/env.h"
#include "envs/registry.h"

namespace fleet::envs {

struct PhaseSpec {
  std::string env_id;
  // > 0: cleared after this many steps without a termination (at most the env's own
  // limit); 0: cleared when the env reaches its goal (it must implement TaskOutcome).
  int survive_steps = 0;
  // the phase's rewards are divided by this (> 0).
  double reward_scale = 1.0;
  // a short name for reports ("balance", "landing"); the env id if empty.
  std::string name;
  // added to the (scaled) reward of the step that clears the phase (>= 0; 0 by default).
  // A training aid for a single policy over all phases (without it, ending the episode
  // in an easy phase can beat entering a hard one); evaluate on the task without it.
  double clear_bonus = 0.0;
};

// One episode, phase by phase (phases not reached stay zero).
struct CompositeEpisode {
  struct Phase {
    double reward = 0;      // sum of the scaled rewards the composite returned
    double raw_reward = 0;  // sum of the env's own rewards
    // sum of the squared Box actions the phase's env got (decoded, clipped to its bounds;
    // 0 for a Discrete phase): entries the phase ignores do not count
    double control_effort = 0;
    int steps = 0;
    bool cleared = false;
  };
  std::vector<Phase> phases;
  int phases_cleared = 0;
  bool success = false;  // every phase played cleared (from the start phase on)
  bool ended = false;
};

class SequentialEnv : public Env, public TaskOutcome {
 public:
  // InvalidArgument naming the problem: no phases, an unknown env id, a goal phase whose
  // env has no goal, a scale <= 0, an env without a step limit.
  // Episodes begin at phase `start_phase` (the earlier ones are not played: data for a
  // later skill in the composite's layout); the step limit counts the phases played.
  static StatusOr<std::unique_ptr<SequentialEnv>> Create(const std::string& id,
                                                         std::vector<PhaseSpec> phases,
                                                         int start_phase = 0);
  // Sequential-v0: options `envs` (comma-separated ids; default
  // "MountainCar-v0,Acrobot-v1"), `survive_steps` and `reward_scales` (comma-separated,
  // one per env; defaults 0 and the env's |reward_threshold|, or 1 without one),
  // `start_phase` (0), `clear_bonus` (0, every phase's). Endgame-v0 takes
  // `balance_steps`, `start_phase` and `clear_bonus`.
  static StatusOr<std::unique_ptr<Env>> FromOptions(EnvOptions& options);
  // Endgame-v0's phases (option: balance_steps, 200 by default).
  static StatusOr<std::vector<PhaseSpec>> EndgamePhases(EnvOptions& options);

  int num_phases() const { return static_cast<int>(phases_.size()); }
  const PhaseSpec& phase_spec(int p) const { return phases_[p].spec; }
  const Env& phase_env(int p) const { return *phases_[p].env; }
  // the step limit of phase p (the timer's denominator)
  int phase_limit(int p) const { return phases_[p].limit; }
  int phase() const { return phase_; }
  int start_phase() const { return start_phase_; }
  int phase_steps() const { return phase_steps_; }
  int max_sub_obs_dim() const { return max_obs_; }
  // the episode under way, and the last one that ended (kept across the reset that starts
  // the next one, as a VectorEnv's auto-reset does).
  const CompositeEpisode& current_episode() const { return current_; }
  const CompositeEpisode& last_episode() const { return last_; }
  // the last step cleared the last phase
  bool goal_reached() const override { return goal_reached_; }

  // The active-phase index encoded in an observation of this layout (-1 if none is set).
  static int PhaseOf(const float* obs, int num_phases);
  // Writes into `action` (width W) the composite action that makes phase p's env take
  // `phase_action` (its own action_width floats; a discrete action as its value).
  void EncodeAction(int p, const float* phase_action, float* action) const;

 protected:
  void DoReset(std::optional<uint64_t> seed, float* obs) override;
  StepResult DoStep(const float* action, float* obs) override;

 private:
  struct Phase {
    PhaseSpec spec;
    std::unique_ptr<Env> env;
    int limit = 0;
  };
  SequentialEnv(EnvSpec spec, std::vector<Phase> phases, int max_obs, int start_phase);
  void StartPhase(int p);
  void WriteObs(float* obs) const;

  std::vector<Phase> phases_;
  int max_obs_ = 0;
  int start_phase_ = 0;
  std::mt19937_64 rng_;
  int phase_ = 0;
  int phase_steps_ = 0;
  std::vector<float> sub_obs_, sub_action_;
  CompositeEpisode current_, last_;
  bool goal_reached_ = false;
};

}  // namespace fleet::envs
