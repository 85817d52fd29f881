#include "envs/classic_control/pendulum.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace fleet::envs {
namespace {

// Python's ((x + pi) % (2 pi)) - pi, with the floored modulo.
double AngleNormalize(double x) {
  const double two_pi = 2 * std::numbers::pi;
  double r = std::fmod(x + std::numbers::pi, two_pi);
  if (r < 0) r += two_pi;
  return r - std::numbers::pi;
}

}  // namespace

StatusOr<std::unique_ptr<Env>> Pendulum::Create(EnvOptions& options) {
  FLEET_ASSIGN_OR_RETURN(double g, options.GetDouble("g", 10.0));
  return std::unique_ptr<Env>(new Pendulum(g));
}

Pendulum::Pendulum(double g)
    : Env([] {
        EnvSpec spec;
        spec.id = "Pendulum-v1";
        spec.observation_space = Space::Box({-1.0, -1.0, -kMaxSpeed}, {1.0, 1.0, kMaxSpeed});
        spec.action_space = Space::Box({-kMaxTorque}, {kMaxTorque});
        spec.max_episode_steps = 200;
        // -(theta^2 + 0.1 thetadot^2 + 0.001 u^2), theta in [-pi, pi], |thetadot| <= 8,
        // |u| <= 2 (Gymnasium's pendulum.py): at least -(pi^2 + 6.4 + 0.004)
        spec.reward_min = -(std::numbers::pi * std::numbers::pi + 0.1 * kMaxSpeed * kMaxSpeed + 0.001 * kMaxTorque * kMaxTorque);
        spec.reward_max = 0.0;
        return spec;
      }()),
      g_(g),
      rng_(0) {}

Status Pendulum::SetState(std::span<const double> state) {
  FLEET_RETURN_IF_ERROR(CheckStateSize(spec_.id, state, 2));
  state_ = {state[0], state[1]};
  return OkStatus();
}

void Pendulum::WriteObs(float* obs) const {
  obs[0] = static_cast<float>(std::cos(state_[0]));
  obs[1] = static_cast<float>(std::sin(state_[0]));
  obs[2] = static_cast<float>(state_[1]);
}

void Pendulum::DoReset(std::optional<uint64_t> seed, float* obs) {
  if (seed) rng_.seed(*seed);
  state_[0] = std::uniform_real_distribution<double>(-std::numbers::pi, std::numbers::pi)(rng_);
  state_[1] = std::uniform_real_distribution<double>(-1.0, 1.0)(rng_);
  WriteObs(obs);
}

StepResult Pendulum::DoStep(const float* action, float* obs) {
  const auto [th, thdot] = state_;
  const double u = std::clamp(static_cast<double>(action[0]), -kMaxTorque, kMaxTorque);
  const double costs = AngleNormalize(th) * AngleNormalize(th) + 0.1 * thdot * thdot + 0.001 * u * u;
  double newthdot = thdot + (3 * g_ / (2 * kLength) * std::sin(th) +
                             3.0 / (kMass * kLength * kLength) * u) * kDt;
  newthdot = std::clamp(newthdot, -kMaxSpeed, kMaxSpeed);
  state_ = {th + newthdot * kDt, newthdot};
  WriteObs(obs);
  return StepResult{-costs, false, false};
}

}  // namespace fleet::envs
