#include "envs/classic_control/mountain_car.h"

#include <algorithm>
#include <cmath>

namespace fleet::envs {
namespace {

EnvSpec MountainCarSpec(bool continuous) {
  EnvSpec spec;
  spec.id = continuous ? "MountainCarContinuous-v0" : "MountainCar-v0";
  spec.observation_space = Space::Box({MountainCar::kMinPosition, -MountainCar::kMaxSpeed},
                                      {MountainCar::kMaxPosition, MountainCar::kMaxSpeed});
  spec.action_space = continuous ? Space::Box({-1.0}, {1.0}) : Space::Discrete(3);
  spec.max_episode_steps = continuous ? 999 : 200;
  spec.reward_threshold = continuous ? 90.0 : -110.0;
  if (!continuous) {  // -1 a step (the continuous one's action cost follows the action)
    spec.reward_min = -1.0;
    spec.reward_max = 0.0;
  }
  return spec;
}

}  // namespace

StatusOr<std::unique_ptr<Env>> MountainCar::CreateDiscrete(EnvOptions& options) {
  FLEET_ASSIGN_OR_RETURN(double gv, options.GetDouble("goal_velocity", 0.0));
  return std::unique_ptr<Env>(new MountainCar(MountainCarSpec(false), false, gv));
}

StatusOr<std::unique_ptr<Env>> MountainCar::CreateContinuous(EnvOptions& options) {
  FLEET_ASSIGN_OR_RETURN(double gv, options.GetDouble("goal_velocity", 0.0));
  return std::unique_ptr<Env>(new MountainCar(MountainCarSpec(true), true, gv));
}

MountainCar::MountainCar(EnvSpec spec, bool continuous, double goal_velocity)
    : Env(std::move(spec)),
      continuous_(continuous),
      goal_position_(continuous ? 0.45 : 0.5),
      goal_velocity_(goal_velocity),
      rng_(0) {}

Status MountainCar::SetState(std::span<const double> state) {
  FLEET_RETURN_IF_ERROR(CheckStateSize(spec_.id, state, 2));
  state_ = {state[0], state[1]};
  return OkStatus();
}

void MountainCar::DoReset(std::optional<uint64_t> seed, float* obs) {
  if (seed) rng_.seed(*seed);
  goal_reached_ = false;
  state_ = {std::uniform_real_distribution<double>(-0.6, -0.4)(rng_), 0.0};
  obs[0] = static_cast<float>(state_[0]);
  obs[1] = static_cast<float>(state_[1]);
}

StepResult MountainCar::DoStep(const float* action, float* obs) {
  auto [position, velocity] = state_;
  if (continuous_) {
    const double force = std::clamp(static_cast<double>(action[0]), -1.0, 1.0);
    velocity += force * 0.0015 - 0.0025 * std::cos(3 * position);
  } else {
    velocity += (action[0] - 1) * 0.001 + std::cos(3 * position) * -0.0025;
  }
  velocity = std::clamp(velocity, -kMaxSpeed, kMaxSpeed);
  position = std::clamp(position + velocity, kMinPosition, kMaxPosition);
  if (position == kMinPosition && velocity < 0) velocity = 0;
  StepResult r;
  r.terminated = position >= goal_position_ && velocity >= goal_velocity_;
  goal_reached_ = r.terminated;
  if (continuous_) {
    r.reward = (r.terminated ? 100.0 : 0.0) - 0.1 * static_cast<double>(action[0]) * action[0];
    // Gymnasium keeps this env's state as a float32 array.
    position = static_cast<float>(position);
    velocity = static_cast<float>(velocity);
  } else {
    r.reward = -1.0;
  }
  state_ = {position, velocity};
  obs[0] = static_cast<float>(position);
  obs[1] = static_cast<float>(velocity);
  return r;
}

}  // namespace fleet::envs
