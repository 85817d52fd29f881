// MountainCar-v0 and MountainCarContinuous-v0 (gymnasium/envs/classic_control/
// mountain_car.py and continuous_mountain_car.py).
//   MountainCar-v0: Discrete(3) pushes (left, none, right), force 0.001, gravity 0.0025,
//     reward -1 per step, terminates at position >= 0.5 with velocity >= goal_velocity,
//     TimeLimit 200, threshold -110. Option: goal_velocity.
//   MountainCarContinuous-v0: Box(-1, 1) force x power 0.0015 (clipped as Gymnasium
//     does), goal 0.45, reward 100 on reaching it minus 0.1 a^2 per step with the
//     unclipped action, TimeLimit 999, threshold 90. Its state is float32 after every step,
//     as in Gymnasium. Option: goal_velocity.
// Both reset to position uniform in [-0.6, -0.4], velocity 0.
#pragma once

#include <array>
#include <random>

#include "envs/env.h"
#include "envs/registry.h"

namespace fleet::envs {

class MountainCar : public Env, public PhysicalStateAccess, public TaskOutcome {
 public:
  static StatusOr<std::unique_ptr<Env>> CreateDiscrete(EnvOptions& options);
  static StatusOr<std::unique_ptr<Env>> CreateContinuous(EnvOptions& options);

  std::vector<double> GetState() const override { return {state_[0], state_[1]}; }
  Status SetState(std::span<const double> state) override;
  // the car reached the flag (every termination does)
  bool goal_reached() const override { return goal_reached_; }

  static constexpr double kMinPosition = -1.2;
  static constexpr double kMaxPosition = 0.6;
  static constexpr double kMaxSpeed = 0.07;

 protected:
  void DoReset(std::optional<uint64_t> seed, float* obs) override;
  StepResult DoStep(const float* action, float* obs) override;

 private:
  MountainCar(EnvSpec spec, bool continuous, double goal_velocity);

  bool continuous_;
  double goal_position_;
  double goal_velocity_;
  std::array<double, 2> state_{};
  bool goal_reached_ = false;
  std::mt19937_64 rng_;
};

}  // namespace fleet::envs
