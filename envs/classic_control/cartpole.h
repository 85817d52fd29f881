// CartPole-v1 with Gymnasium's dynamics (gymnasium/envs/classic_control/cartpole.py):
// Euler integration at tau = 0.02 s, force +-10 N, termination at |x| > 2.4 or
// |theta| > 12 degrees, reset state uniform in [-0.05, 0.05]^4, reward 1 per step
// (or Sutton & Barto's 0 / -1 with sutton_barto_reward), TimeLimit 500, threshold 475.
#pragma once

#include <array>
#include <random>

#include "envs/env.h"
#include "envs/registry.h"

namespace fleet::envs {

class CartPole : public Env, public PhysicalStateAccess {
 public:
  struct Options {
    bool sutton_barto_reward = false;
  };
  static StatusOr<std::unique_ptr<Env>> Create(EnvOptions& options);
  explicit CartPole(Options options);

  // the physical state (x, x_dot, theta, theta_dot) in float64, like Gymnasium's
  // unwrapped.state; setting it does not touch the step counter.
  const std::array<double, 4>& state() const { return state_; }
  void set_state(const std::array<double, 4>& s) { state_ = s; }
  std::vector<double> GetState() const override { return {state_.begin(), state_.end()}; }
  Status SetState(std::span<const double> state) override;

  // Gymnasium's constants.
  static constexpr double kGravity = 9.8;
  static constexpr double kMassCart = 1.0;
  static constexpr double kMassPole = 0.1;
  static constexpr double kTotalMass = kMassCart + kMassPole;
  static constexpr double kLength = 0.5;  // half the pole's length
  static constexpr double kPoleMassLength = kMassPole * kLength;
  static constexpr double kForceMag = 10.0;
  static constexpr double kTau = 0.02;
  static constexpr double kThetaThreshold = 12 * 2 * 3.14159265358979323846 / 360;
  static constexpr double kXThreshold = 2.4;

 protected:
  void DoReset(std::optional<uint64_t> seed, float* obs) override;
  StepResult DoStep(const float* action, float* obs) override;

 private:
  void WriteObs(float* obs) const;

  Options options_;
  std::array<double, 4> state_{};
  std::mt19937_64 rng_;
};

}  // namespace fleet::envs
