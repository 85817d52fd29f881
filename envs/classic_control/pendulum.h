// Pendulum-v1 (gymnasium/envs/classic_control/pendulum.py): torque-limited swing-up.
// State (theta, theta_dot) in float64; observation (cos theta, sin theta, theta_dot);
// reward -(angle_normalize(theta)^2 + 0.1 theta_dot^2 + 0.001 u^2); never terminates;
// TimeLimit 200; no reward threshold. Actions are clipped to [-2, 2] as Gymnasium does.
// Option: g (gravity, default 10).
#pragma once

#include <array>
#include <random>

#include "envs/env.h"
#include "envs/registry.h"

namespace fleet::envs {

class Pendulum : public Env, public PhysicalStateAccess {
 public:
  static StatusOr<std::unique_ptr<Env>> Create(EnvOptions& options);
  explicit Pendulum(double g);

  std::vector<double> GetState() const override { return {state_[0], state_[1]}; }
  Status SetState(std::span<const double> state) override;

  static constexpr double kMaxSpeed = 8.0;
  static constexpr double kMaxTorque = 2.0;
  static constexpr double kDt = 0.05;
  static constexpr double kMass = 1.0;
  static constexpr double kLength = 1.0;

 protected:
  void DoReset(std::optional<uint64_t> seed, float* obs) override;
  StepResult DoStep(const float* action, float* obs) override;

 private:
  void WriteObs(float* obs) const;

  double g_;
  std::array<double, 2> state_{};
  std::mt19937_64 rng_;
};

}  // namespace fleet::envs
