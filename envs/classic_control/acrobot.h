// Acrobot-v1 (gymnasium/envs/classic_control/acrobot.py): two-link under-actuated swing-up
// with the book's dynamics (Sutton & Barto), one RK4 step of dt = 0.2 per env step,
// torques {-1, 0, +1}, angles wrapped to [-pi, pi], velocities bounded to 4 pi and 9 pi.
// Reward -1 per step until the tip is one link above the base (then 0 and terminated),
// TimeLimit 500, threshold -100. Reset draws the 4 state values uniformly in [-0.1, 0.1]
// and rounds them to float32 as Gymnasium does.
#pragma once

#include <array>
#include <random>

#include "envs/env.h"
#include "envs/registry.h"

namespace fleet::envs {

class Acrobot : public Env, public PhysicalStateAccess, public TaskOutcome {
 public:
  static StatusOr<std::unique_ptr<Env>> Create(EnvOptions& options);
  Acrobot();

  std::vector<double> GetState() const override { return {state_.begin(), state_.end()}; }
  // the tip swung above the line (every termination does)
  bool goal_reached() const override { return goal_reached_; }
  Status SetState(std::span<const double> state) override;

 protected:
  void DoReset(std::optional<uint64_t> seed, float* obs) override;
  StepResult DoStep(const float* action, float* obs) override;

 private:
  void WriteObs(float* obs) const;

  std::array<double, 4> state_{};  // theta1, theta2, dtheta1, dtheta2
  std::mt19937_64 rng_;
  bool goal_reached_ = false;
};

}  // namespace fleet::envs
