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
#include <span>
#include <vector>

#include "envs/env.h"
#include "envs/registry.h"

class b2World;
class b2Body;
class b2RevoluteJoint;

namespace fleet::envs {

// The ground of one episode in world units, as Gymnasium builds it: one two-sided edge
// from (x[i], y[i]) to (x[i+1], y[i+1]) for each i, and in hardcore the obstacles (stumps,
// stairs, pit walls) as quadrilaterals, four (x, y) corners each, in creation order.
struct BipedalTerrain {
  std::vector<double> x, y;
  std::vector<std::array<double, 8>> polygons;
};

class BipedalWalker : public Env, public PhysicalStateAccess, public TaskOutcome {
 public:
  // Per body, in the order hull, upper leg 1, lower leg 1, upper leg 2, lower leg 2 (legs
  // as Gymnasium's env.legs): x, y, angle, linear velocity x and y, angular velocity.
  static constexpr int kStateSize = 5 * 6;
  static StatusOr<std::unique_ptr<Env>> Create(EnvOptions& options, bool hardcore_default);
  explicit BipedalWalker(bool hardcore);
  ~BipedalWalker() override;

  b2World* world() { return world_.get(); }
  // the walker got past the end of its course (and did not fall on that step)
  bool goal_reached() const override { return goal_reached_; }
  const BipedalTerrain& terrain() const { return terrain_; }

  std::vector<double> GetState() const override;
  // Places the walker in `state` (kStateSize values) on the current terrain, made anew
  // as at reset: new bodies and joints, so no contact or joint impulse carries over (warm
  // starting begins from zero, as in a freshly reset world), the foot contacts and the
  // fall flag are cleared and found again by the next step, and the reward of the next
  // step counts progress from this state.
  Status SetState(std::span<const double> state) override;

 protected:
  void DoReset(std::optional<uint64_t> seed, float* obs) override;
  StepResult DoStep(const float* action, float* obs) override;

 private:
  class ContactListener;
  void GenerateTerrain();
  // the hull and legs with their joints; `state` as in SetState, or null for the pose at reset
  void CreateWalker(const double* state);
  StepResult Advance(const float* action, float* obs);

  bool hardcore_;
  std::mt19937_64 rng_;
  std::unique_ptr<b2World> world_;
  std::unique_ptr<ContactListener> listener_;
  b2Body* hull_ = nullptr;
  std::array<b2Body*, 4> legs_{};            // upper, lower, upper, lower
  std::array<b2RevoluteJoint*, 4> joints_{};  // hip, knee, hip, knee
  std::array<bool, 2> lower_contact_{};       // legs_[1], legs_[3]
  BipedalTerrain terrain_;
  bool game_over_ = false;
  bool goal_reached_ = false;
  std::optional<double> prev_shaping_;
};

}  // namespace fleet::envs
