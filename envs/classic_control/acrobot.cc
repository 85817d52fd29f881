#include "envs/classic_control/acrobot.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace fleet::envs {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kDt = 0.2;
constexpr double kL1 = 1.0;                   // link 1 length
constexpr double kM1 = 1.0, kM2 = 1.0;        // link masses
constexpr double kLc1 = 0.5, kLc2 = 0.5;      // centres of mass
constexpr double kI1 = 1.0, kI2 = 1.0;        // moments of inertia
constexpr double kMaxVel1 = 4 * kPi, kMaxVel2 = 9 * kPi;
constexpr double kG = 9.8;
constexpr double kTorques[3] = {-1.0, 0.0, 1.0};

using State = std::array<double, 4>;

// time derivative of (theta1, theta2, dtheta1, dtheta2) under torque a, book equations.
State Derivs(const State& s, double a) {
  const auto [t1, t2, dt1, dt2] = s;
  const double d1 = kM1 * kLc1 * kLc1 +
                    kM2 * (kL1 * kL1 + kLc2 * kLc2 + 2 * kL1 * kLc2 * std::cos(t2)) + kI1 + kI2;
  const double d2 = kM2 * (kLc2 * kLc2 + kL1 * kLc2 * std::cos(t2)) + kI2;
  const double phi2 = kM2 * kLc2 * kG * std::cos(t1 + t2 - kPi / 2.0);
  const double phi1 = -kM2 * kL1 * kLc2 * dt2 * dt2 * std::sin(t2) -
                      2 * kM2 * kL1 * kLc2 * dt2 * dt1 * std::sin(t2) +
                      (kM1 * kLc1 + kM2 * kL1) * kG * std::cos(t1 - kPi / 2) + phi2;
  const double ddt2 = (a + d2 / d1 * phi1 - kM2 * kL1 * kLc2 * dt1 * dt1 * std::sin(t2) - phi2) /
                      (kM2 * kLc2 * kLc2 + kI2 - d2 * d2 / d1);
  const double ddt1 = -(d2 * ddt2 + phi1) / d1;
  return {dt1, dt2, ddt1, ddt2};
}

State Axpy(const State& y, double h, const State& k) {
  return {y[0] + h * k[0], y[1] + h * k[1], y[2] + h * k[2], y[3] + h * k[3]};
}

double Wrap(double x, double lo, double hi) {
  const double diff = hi - lo;
  while (x > hi) x -= diff;
  while (x < lo) x += diff;
  return x;
}

}  // namespace

StatusOr<std::unique_ptr<Env>> Acrobot::Create(EnvOptions&) {
  return std::unique_ptr<Env>(new Acrobot());
}

Acrobot::Acrobot()
    : Env([] {
        EnvSpec spec;
        spec.id = "Acrobot-v1";
        spec.observation_space = Space::Box({-1, -1, -1, -1, -kMaxVel1, -kMaxVel2},
                                            {1, 1, 1, 1, kMaxVel1, kMaxVel2});
        spec.action_space = Space::Discrete(3);
        spec.max_episode_steps = 500;
        spec.reward_threshold = -100.0;
        spec.reward_min = -1.0;  // -1 a step until the goal, 0 there
        spec.reward_max = 0.0;
        return spec;
      }()),
      rng_(0) {}

Status Acrobot::SetState(std::span<const double> state) {
  FLEET_RETURN_IF_ERROR(CheckStateSize(spec_.id, state, 4));
  std::copy(state.begin(), state.end(), state_.begin());
  return OkStatus();
}

void Acrobot::WriteObs(float* obs) const {
  obs[0] = static_cast<float>(std::cos(state_[0]));
  obs[1] = static_cast<float>(std::sin(state_[0]));
  obs[2] = static_cast<float>(std::cos(state_[1]));
  obs[3] = static_cast<float>(std::sin(state_[1]));
  obs[4] = static_cast<float>(state_[2]);
  obs[5] = static_cast<float>(state_[3]);
}

void Acrobot::DoReset(std::optional<uint64_t> seed, float* obs) {
  if (seed) rng_.seed(*seed);
  goal_reached_ = false;
  std::uniform_real_distribution<double> u(-0.1, 0.1);
  for (auto& s : state_) s = static_cast<float>(u(rng_));
  WriteObs(obs);
}

StepResult Acrobot::DoStep(const float* action, float* obs) {
  const double a = kTorques[static_cast<int>(action[0])];
  // one classical Runge-Kutta step over [0, dt].
  const State& y = state_;
  const State k1 = Derivs(y, a);
  const State k2 = Derivs(Axpy(y, kDt / 2, k1), a);
  const State k3 = Derivs(Axpy(y, kDt / 2, k2), a);
  const State k4 = Derivs(Axpy(y, kDt, k3), a);
  State ns;
  for (int i = 0; i < 4; ++i) ns[i] = y[i] + kDt / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  ns[0] = Wrap(ns[0], -kPi, kPi);
  ns[1] = Wrap(ns[1], -kPi, kPi);
  ns[2] = std::clamp(ns[2], -kMaxVel1, kMaxVel1);
  ns[3] = std::clamp(ns[3], -kMaxVel2, kMaxVel2);
  state_ = ns;
  StepResult r;
  r.terminated = -std::cos(ns[0]) - std::cos(ns[1] + ns[0]) > 1.0;
  goal_reached_ = r.terminated;
  r.reward = r.terminated ? 0.0 : -1.0;
  WriteObs(obs);
  return r;
}

}  // namespace fleet::envs
