// BipedalWalker-v3 and BipedalWalkerHardcore-v3 on Box2D 2.4, after Gymnasium's
// gymnasium/envs/box2d/bipedal_walker.py: a hull with two two-segment legs driven by
// torque-limited motors (|action| sets the torque, its sign the direction), 200-step
// terrain of grass (and in hardcore: stumps, stairs, pits), 10 lidar rays, reward for
// forward progress minus head tilt and motor torque, -100 for a fall. TimeLimit 1600
// (hardcore 2000), threshold 300. Option: hardcore. Actions are clipped as Gymnasium
// does. The world is rebuilt on reset (Gymnasium reuses one after destroying its
// bodies); rendering-only clouds are not generated, so seeds draw Fleet's own streams.
#pragma once

#include <array>
#include <memory>
#include <random>
#include <vector>

#include "envs/env.h"
#include "envs/registry.h"

class b2World;
class b2Body;
class b2RevoluteJoint;

namespace fleet::envs {

class BipedalWalker : public Env {
 public:
  static StatusOr<std::unique_ptr<Env>> Create(EnvOptions& options, bool hardcore_default);
  explicit BipedalWalker(bool hardcore);
  ~BipedalWalker() override;

  b2World* world() { return world_.get(); }

 protected:
  void DoReset(std::optional<uint64_t> seed, float* obs) override;
  StepResult DoStep(const float* action, float* obs) override;

 private:
  class ContactListener;
  void GenerateTerrain();
  StepResult Advance(const float* action, float* obs);

  bool hardcore_;
  std::mt19937_64 rng_;
  std::unique_ptr<b2World> world_;
  std::unique_ptr<ContactListener> listener_;
  b2Body* hull_ = nullptr;
  std::array<b2Body*, 4> legs_{};            // upper, lower, upper, lower
  std::array<b2RevoluteJoint*, 4> joints_{};  // hip, knee, hip, knee
  std::array<bool, 2> lower_contact_{};       // legs_[1], legs_[3]
  bool game_over_ = false;
  std::optional<double> prev_shaping_;
};

}  // namespace fleet::envs
