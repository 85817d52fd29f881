// LunarLander-v3 and LunarLanderContinuous-v3 on Box2D 2.4, after Gymnasium's
// gymnasium/envs/box2d/lunar_lander.py (v3): 11-chunk random terrain with a flat pad,
// a 6-vertex lander with two spring-loaded legs, main and side engines with dispersion,
// optional wind and turbulence, shaping reward, -100 on crash or leaving the screen,
// +100 when the lander comes to rest (Box2D puts it to sleep). TimeLimit 1000,
// threshold 200. The world is rebuilt on every reset, as in v3.
//
// Options: continuous (bool), gravity (in (-12, 0), default -10), enable_wind,
// wind_power (15), turbulence_power (1.5). Continuous actions are clipped to [-1, 1]
// as Gymnasium does. Engine particles (rendering only in Gymnasium, created only when
// rendering) are not simulated. Gymnasium runs Box2D 2.3 (pybox2d); Fleet runs Debian's
// 2.4.1, so trajectories agree in distribution, not bit for bit.
#pragma once

#include <array>
#include <memory>
#include <random>

#include "envs/env.h"
#include "envs/registry.h"

class b2World;
class b2Body;

namespace fleet::envs {

class LunarLander : public Env, public TaskOutcome {
 public:
  struct Options {
    bool continuous = false;
    double gravity = -10.0;
    bool enable_wind = false;
    double wind_power = 15.0;
    double turbulence_power = 1.5;
  };
  static StatusOr<std::unique_ptr<Env>> Create(EnvOptions& options, bool continuous_default);
  explicit LunarLander(const Options& options);
  ~LunarLander() override;

  bool continuous() const { return options_.continuous; }
  // the lander came to rest (Box2D put its body to sleep: the +100 ending)
  bool goal_reached() const override { return goal_reached_; }
  // The Box2D world of the current episode (benchmarks time raw b2World::Step with it).
  b2World* world() { return world_.get(); }

  // Gymnasium's heuristic controller (lunar_lander.py `heuristic`), re-implemented:
  // writes 1 value (discrete) or 2 (continuous) for observation `s`.
  static void Heuristic(const float* s, bool continuous, float* action);

 protected:
  void DoReset(std::optional<uint64_t> seed, float* obs) override;
  StepResult DoStep(const float* action, float* obs) override;

 private:
  class ContactListener;
  // one physics step; `main`/`side` are the engine throttles chosen from the action.
  StepResult Advance(const float* action, float* obs);

  Options options_;
  std::mt19937_64 rng_;
  std::unique_ptr<b2World> world_;
  std::unique_ptr<ContactListener> listener_;
  b2Body* lander_ = nullptr;
  std::array<b2Body*, 2> legs_{};
  std::array<bool, 2> leg_contact_{};
  bool game_over_ = false;
  bool goal_reached_ = false;
  double helipad_y_ = 0.0;
  std::optional<double> prev_shaping_;
  int64_t wind_idx_ = 0, torque_idx_ = 0;
};

}  // namespace fleet::envs
