#include "envs/classic_control/cartpole.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace fleet::envs {
namespace {

EnvSpec CartPoleSpec() {
  const double inf = std::numeric_limits<double>::infinity();
  const double x2 = CartPole::kXThreshold * 2, t2 = CartPole::kThetaThreshold * 2;
  EnvSpec spec;
  spec.id = "CartPole-v1";
  // Gymnasium declares float32 bounds; these are the float32 values.
  spec.observation_space = Space::Box({-x2, -inf, -t2, -inf}, {x2, inf, t2, inf});
  spec.action_space = Space::Discrete(2);
  spec.max_episode_steps = 500;
  spec.reward_threshold = 475.0;
  // +1 a step; sutton_barto_reward: -1 on failure, 0 otherwise
  spec.reward_min = -1.0;
  spec.reward_max = 1.0;
  return spec;
}

}  // namespace

StatusOr<std::unique_ptr<Env>> CartPole::Create(EnvOptions& options) {
  Options o;
  FLEET_ASSIGN_OR_RETURN(o.sutton_barto_reward,
                         options.GetBool("sutton_barto_reward", o.sutton_barto_reward));
  return std::unique_ptr<Env>(new CartPole(o));
}

CartPole::CartPole(Options options) : Env(CartPoleSpec()), options_(options), rng_(0) {}

Status CartPole::SetState(std::span<const double> state) {
  FLEET_RETURN_IF_ERROR(CheckStateSize(spec_.id, state, 4));
  std::copy(state.begin(), state.end(), state_.begin());
  return OkStatus();
}

void CartPole::WriteObs(float* obs) const {
  for (int i = 0; i < 4; ++i) obs[i] = static_cast<float>(state_[i]);
}

void CartPole::DoReset(std::optional<uint64_t> seed, float* obs) {
  if (seed) rng_.seed(*seed);
  std::uniform_real_distribution<double> u(-0.05, 0.05);
  for (auto& s : state_) s = u(rng_);
  WriteObs(obs);
}

StepResult CartPole::DoStep(const float* action, float* obs) {
  auto& [x, x_dot, theta, theta_dot] = state_;
  const double force = action[0] == 1.0f ? kForceMag : -kForceMag;
  const double costheta = std::cos(theta), sintheta = std::sin(theta);
  // equations from Florian (2007), as in Gymnasium.
  const double temp = (force + kPoleMassLength * theta_dot * theta_dot * sintheta) / kTotalMass;
  const double thetaacc =
      (kGravity * sintheta - costheta * temp) /
      (kLength * (4.0 / 3.0 - kMassPole * costheta * costheta / kTotalMass));
  const double xacc = temp - kPoleMassLength * thetaacc * costheta / kTotalMass;
  x += kTau * x_dot;
  x_dot += kTau * xacc;
  theta += kTau * theta_dot;
  theta_dot += kTau * thetaacc;

  StepResult r;
  r.terminated = x < -kXThreshold || x > kXThreshold || theta < -kThetaThreshold ||
                 theta > kThetaThreshold;
  if (options_.sutton_barto_reward) {
    r.reward = r.terminated ? -1.0 : 0.0;
  } else {
    r.reward = 1.0;
  }
  WriteObs(obs);
  return r;
}

}  // namespace fleet::envs
