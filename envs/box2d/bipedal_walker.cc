#include "envs/box2d/bipedal_walker.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include <box2d/box2d.h>

#include "envs/box2d/box2d23_compat.h"

namespace fleet::envs {
namespace {

// Gymnasium's constants (bipedal_walker.py).
constexpr double kFps = 50;
constexpr double kScale = 30.0;
constexpr double kMotorsTorque = 80;
constexpr double kSpeedHip = 4;
constexpr double kSpeedKnee = 6;
constexpr double kLidarRange = 160 / kScale;
constexpr double kInitialRandom = 5;
constexpr float kHullPoly[5][2] = {{-30, 9}, {6, 9}, {34, 1}, {34, -8}, {-30, -8}};
constexpr double kLegDown = -8 / kScale;
constexpr double kLegW = 8 / kScale, kLegH = 34 / kScale;
constexpr double kViewportW = 600, kViewportH = 400;
constexpr double kTerrainStep = 14 / kScale;
constexpr int kTerrainLength = 200;
constexpr double kTerrainHeight = kViewportH / kScale / 4;
constexpr int kTerrainGrass = 10;
constexpr int kTerrainStartpad = 20;
constexpr float kFriction = 2.5f;

EnvSpec BipedalSpec(bool hardcore) {
  const double pi = std::numbers::pi;
  std::vector<double> low = {-pi, -5, -5, -5, -pi, -5, -pi, -5, -0.0, -pi, -5, -pi, -5, -0.0};
  std::vector<double> high = {pi, 5, 5, 5, pi, 5, pi, 5, 5, pi, 5, pi, 5, 5};
  for (int i = 0; i < 10; ++i) {
    low.push_back(-1.0);
    high.push_back(1.0);
  }
  EnvSpec spec;
  spec.id = hardcore ? "BipedalWalkerHardcore-v3" : "BipedalWalker-v3";
  spec.observation_space = Space::Box(low, high);
  spec.action_space = Space::Box({-1, -1, -1, -1}, {1, 1, 1, 1});
  spec.max_episode_steps = hardcore ? 2000 : 1600;
  spec.reward_threshold = 300.0;
  return spec;
}

// the closest terrain hit along a ray (fixtures without category bit 1 are ignored).
class LidarCallback : public b2RayCastCallback {
 public:
  float fraction = 1.0f;
  float ReportFixture(b2Fixture* fixture, const b2Vec2&, const b2Vec2&, float f) override {
    if ((fixture->GetFilterData().categoryBits & 1) == 0) return -1.0f;
    fraction = f;
    return f;
  }
};

void AddPolygon(b2World* world, BipedalTerrain* terrain, const std::array<b2Vec2, 4>& poly) {
  std::array<double, 8>& corners = terrain->polygons.emplace_back();
  for (int k = 0; k < 4; ++k) {
    corners[2 * k] = poly[k].x;
    corners[2 * k + 1] = poly[k].y;
  }
  b2BodyDef def;
  b2Body* body = world->CreateBody(&def);
  b2PolygonShape shape;
  shape.Set(poly.data(), 4);
  b2FixtureDef fd;
  fd.shape = &shape;
  fd.friction = kFriction;
  body->CreateFixture(&fd);
}

b2Vec2 V(double x, double y) { return b2Vec2(static_cast<float>(x), static_cast<float>(y)); }

}  // namespace

class BipedalWalker::ContactListener : public b2ContactListener {
 public:
  explicit ContactListener(BipedalWalker* env) : env_(env) {}
  void BeginContact(b2Contact* c) override { Update(c, true); }
  void EndContact(b2Contact* c) override { Update(c, false); }

 private:
  void Update(b2Contact* c, bool begin) {
    const b2Body* a = c->GetFixtureA()->GetBody();
    const b2Body* b = c->GetFixtureB()->GetBody();
    if (begin && (a == env_->hull_ || b == env_->hull_)) env_->game_over_ = true;
    for (int k = 0; k < 2; ++k) {
      const b2Body* leg = env_->legs_[2 * k + 1];
      if (a == leg || b == leg) env_->lower_contact_[k] = begin;
    }
  }
  BipedalWalker* env_;
};

StatusOr<std::unique_ptr<Env>> BipedalWalker::Create(EnvOptions& options, bool hardcore_default) {
  FLEET_ASSIGN_OR_RETURN(bool hardcore, options.GetBool("hardcore", hardcore_default));
  return std::unique_ptr<Env>(new BipedalWalker(hardcore));
}

BipedalWalker::BipedalWalker(bool hardcore)
    : Env(BipedalSpec(hardcore)), hardcore_(hardcore), rng_(0) {}

BipedalWalker::~BipedalWalker() = default;

void BipedalWalker::GenerateTerrain() {
  enum State { kGrass = 0, kStump, kStairs, kPit, kStates };
  // numpy's integers(lo, hi): hi exclusive.
  auto integers = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi - 1)(rng_); };
  auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng_);
  };
  int state = kGrass;
  double velocity = 0.0, y = kTerrainHeight, original_y = 0.0;
  int counter = kTerrainStartpad;
  bool oneshot = false;
  int stair_steps = 0, stair_width = 0, stair_height = 0;
  terrain_ = BipedalTerrain();
  std::vector<double>& xs = terrain_.x;
  std::vector<double>& ys = terrain_.y;
  for (int i = 0; i < kTerrainLength; ++i) {
    const double x = i * kTerrainStep;
    xs.push_back(x);
    if (state == kGrass && !oneshot) {
      const double d = kTerrainHeight - y;
      velocity = 0.8 * velocity + 0.01 * ((d > 0) - (d < 0));
      if (i > kTerrainStartpad) velocity += uniform(-1, 1) / kScale;
      y += velocity;
    } else if (state == kPit && oneshot) {
      counter = integers(3, 5);
      const std::array<b2Vec2, 4> poly = {V(x, y), V(x + kTerrainStep, y),
                                          V(x + kTerrainStep, y - 4 * kTerrainStep),
                                          V(x, y - 4 * kTerrainStep)};
      AddPolygon(world_.get(), &terrain_, poly);
      std::array<b2Vec2, 4> shifted = poly;
      for (auto& p : shifted) p.x += static_cast<float>(kTerrainStep * counter);
      AddPolygon(world_.get(), &terrain_, shifted);
      counter += 2;
      original_y = y;
    } else if (state == kPit && !oneshot) {
      y = original_y;
      if (counter > 1) y -= 4 * kTerrainStep;
    } else if (state == kStump && oneshot) {
      counter = integers(1, 3);
      AddPolygon(world_.get(), &terrain_, {V(x, y), V(x + counter * kTerrainStep, y),
                                V(x + counter * kTerrainStep, y + counter * kTerrainStep),
                                V(x, y + counter * kTerrainStep)});
    } else if (state == kStairs && oneshot) {
      stair_height = uniform(0, 1) > 0.5 ? 1 : -1;
      stair_width = integers(4, 5);
      stair_steps = integers(3, 5);
      original_y = y;
      for (int s = 0; s < stair_steps; ++s) {
        AddPolygon(world_.get(), &terrain_,
                   {V(x + (s * stair_width) * kTerrainStep, y + (s * stair_height) * kTerrainStep),
                    V(x + ((1 + s) * stair_width) * kTerrainStep,
                      y + (s * stair_height) * kTerrainStep),
                    V(x + ((1 + s) * stair_width) * kTerrainStep,
                      y + (-1 + s * stair_height) * kTerrainStep),
                    V(x + (s * stair_width) * kTerrainStep,
                      y + (-1 + s * stair_height) * kTerrainStep)});
      }
      counter = stair_steps * stair_width;
    } else if (state == kStairs && !oneshot) {
      const double s = stair_steps * stair_width - counter - stair_height;
      const double n = s / stair_width;
      y = original_y + (n * stair_height) * kTerrainStep;
    }
    oneshot = false;
    ys.push_back(y);
    counter -= 1;
    if (counter == 0) {
      counter = integers(kTerrainGrass / 2, kTerrainGrass);
      if (state == kGrass && hardcore_) {
        state = integers(1, kStates);
      } else {
        state = kGrass;
      }
      oneshot = true;
    }
  }
  for (int i = 0; i + 1 < kTerrainLength; ++i) {
    b2BodyDef def;
    b2Body* body = world_->CreateBody(&def);
    b2EdgeShape edge;
    edge.SetTwoSided(V(xs[i], ys[i]), V(xs[i + 1], ys[i + 1]));
    b2FixtureDef fd;
    fd.shape = &edge;
    fd.friction = kFriction;
    fd.filter.categoryBits = 0x0001;
    body->CreateFixture(&fd);
  }
}

void BipedalWalker::CreateWalker(const double* state) {
  const double init_x = kTerrainStep * kTerrainStartpad / 2;
  const double init_y = kTerrainHeight + 2 * kLegH;
  // body b at its reset pose, or at state[6b..6b+5] with that velocity
  auto place = [&](b2BodyDef* def, int b, double x, double y, double angle) {
    def->type = b2_dynamicBody;
    def->position = state ? V(state[6 * b], state[6 * b + 1]) : V(x, y);
    def->angle = static_cast<float>(state ? state[6 * b + 2] : angle);
  };
  // velocities once the body has its fixture: b2Body's linear velocity is its centre of
  // mass's, which moves off the body origin (the hull's) when the mass is set
  auto set_velocity = [&](b2Body* body, int b) {
    if (!state) return;
    body->SetLinearVelocity(V(state[6 * b + 3], state[6 * b + 4]));
    body->SetAngularVelocity(static_cast<float>(state[6 * b + 5]));
  };
  b2BodyDef hull_def;
  place(&hull_def, 0, init_x, init_y, 0.0);
  hull_ = world_->CreateBody(&hull_def);
  b2Vec2 verts[5];
  for (int i = 0; i < 5; ++i) verts[i] = V(kHullPoly[i][0] / kScale, kHullPoly[i][1] / kScale);
  b2PolygonShape hull_shape;
  hull_shape.Set(verts, 5);
  b2FixtureDef hull_fd;
  hull_fd.shape = &hull_shape;
  hull_fd.density = 5.0f;
  hull_fd.friction = 0.1f;
  hull_fd.filter.categoryBits = 0x0020;
  hull_fd.filter.maskBits = 0x001;
  hull_fd.restitution = 0.0f;
  hull_->CreateFixture(&hull_fd);
  set_velocity(hull_, 0);
  if (!state) {
    const double push =
        std::uniform_real_distribution<double>(-kInitialRandom, kInitialRandom)(rng_);
    hull_->ApplyForceToCenter(V(push, 0), true);
  }

  for (int k = 0; k < 2; ++k) {
    const int i = k == 0 ? -1 : 1;
    auto make_segment = [&](int b, double y, double half_w) {
      b2BodyDef def;
      place(&def, b, init_x, y, i * 0.05);
      b2Body* body = world_->CreateBody(&def);
      b2PolygonShape box;
      box.SetAsBox(static_cast<float>(half_w), static_cast<float>(kLegH / 2));
      b2FixtureDef fd;
      fd.shape = &box;
      fd.density = 1.0f;
      fd.restitution = 0.0f;
      fd.filter.categoryBits = 0x0020;
      fd.filter.maskBits = 0x001;
      body->CreateFixture(&fd);
      set_velocity(body, b);
      return body;
    };
    // The joint angle counts from the bodies' angles at reset (the upper legs are made at
    // +-0.05 rad, the lower ones at the same angle as their upper), as pybox2d's
    // revoluteJointDef sets it when Gymnasium leaves it out: the hip limits and the
    // observed hip angles depend on it.
    auto make_joint = [&](b2Body* a, b2Body* b, double anchor_a_y, float reference, float speed,
                          float lo, float hi) {
      b2RevoluteJointDef rjd;
      rjd.bodyA = a;
      rjd.bodyB = b;
      rjd.referenceAngle = reference;
      rjd.localAnchorA = V(0, anchor_a_y);
      rjd.localAnchorB = V(0, kLegH / 2);
      rjd.enableMotor = true;
      rjd.enableLimit = true;
      rjd.maxMotorTorque = static_cast<float>(kMotorsTorque);
      rjd.motorSpeed = speed;
      rjd.lowerAngle = lo;
      rjd.upperAngle = hi;
      return static_cast<b2RevoluteJoint*>(world_->CreateJoint(&rjd));
    };
    b2Body* upper = make_segment(1 + 2 * k, init_y - kLegH / 2 - kLegDown, kLegW / 2);
    joints_[2 * k] = make_joint(hull_, upper, kLegDown, static_cast<float>(i * 0.05),
                                static_cast<float>(i), -0.8f, 1.1f);
    b2Body* lower = make_segment(2 + 2 * k, init_y - kLegH * 3 / 2 - kLegDown, 0.8 * kLegW / 2);
    joints_[2 * k + 1] = make_joint(upper, lower, -kLegH / 2, 0.0f, 1.0f, -1.6f, -0.1f);
    legs_[2 * k] = upper;
    legs_[2 * k + 1] = lower;
  }
}

std::vector<double> BipedalWalker::GetState() const {
  std::vector<double> state;
  state.reserve(kStateSize);
  if (!hull_) return std::vector<double>(kStateSize, 0.0);
  for (const b2Body* b : {hull_, legs_[0], legs_[1], legs_[2], legs_[3]}) {
    const b2Vec2 p = b->GetPosition(), v = b->GetLinearVelocity();
    state.insert(state.end(), {p.x, p.y, b->GetAngle(), v.x, v.y, b->GetAngularVelocity()});
  }
  return state;
}

Status BipedalWalker::SetState(std::span<const double> state) {
  FLEET_RETURN_IF_ERROR(CheckStateSize(spec_.id, state, kStateSize));
  for (double v : state) {  // Box2D holds floats
    if (std::abs(v) > std::numeric_limits<float>::max()) {
      return InvalidArgumentError(spec_.id + ": state holds a value beyond float range");
    }
  }
  if (!world_) return FailedPreconditionError(spec_.id + ": reset() the env before setting its state");
  for (b2Body* b : {hull_, legs_[0], legs_[1], legs_[2], legs_[3]}) world_->DestroyBody(b);
  CreateWalker(state.data());
  game_over_ = false;
  lower_contact_ = {false, false};
  // as the next step computes it, from the hull's float position and angle
  prev_shaping_ = 130 * static_cast<double>(hull_->GetPosition().x) / kScale -
                  5.0 * std::abs(static_cast<double>(hull_->GetAngle()));
  return OkStatus();
}

void BipedalWalker::DoReset(std::optional<uint64_t> seed, float* obs) {
  if (seed) rng_.seed(*seed);
  goal_reached_ = false;
  world_ = std::make_unique<b2World>(b2Vec2(0.0f, -10.0f));
  listener_ = std::make_unique<ContactListener>(this);
  world_->SetContactListener(listener_.get());
  game_over_ = false;
  prev_shaping_.reset();
  lower_contact_ = {false, false};
  GenerateTerrain();

  CreateWalker(nullptr);
  // Gymnasium's reset returns the observation of one zero-action step.
  const float zero[4] = {0, 0, 0, 0};
  Advance(zero, obs);
}

StepResult BipedalWalker::DoStep(const float* action, float* obs) { return Advance(action, obs); }

StepResult BipedalWalker::Advance(const float* action, float* obs) {
  const double speeds[4] = {kSpeedHip, kSpeedKnee, kSpeedHip, kSpeedKnee};
  for (int j = 0; j < 4; ++j) {
    const double a = action[j];
    joints_[j]->SetMotorSpeed(static_cast<float>(speeds[j] * ((a > 0) - (a < 0))));
    joints_[j]->SetMaxMotorTorque(static_cast<float>(kMotorsTorque * std::clamp(std::abs(a), 0.0, 1.0)));
    Box2D23JointLimit(joints_[j]);
  }
  world_->Step(static_cast<float>(1.0 / kFps), 6 * 30, 2 * 30);

  const b2Vec2 pos = hull_->GetPosition();
  const b2Vec2 vel = hull_->GetLinearVelocity();
  double s[24] = {
      hull_->GetAngle(),
      2.0 * hull_->GetAngularVelocity() / kFps,
      0.3 * vel.x * (kViewportW / kScale) / kFps,
      0.3 * vel.y * (kViewportH / kScale) / kFps,
      joints_[0]->GetJointAngle(),
      joints_[0]->GetJointSpeed() / kSpeedHip,
      joints_[1]->GetJointAngle() + 1.0,
      joints_[1]->GetJointSpeed() / kSpeedKnee,
      lower_contact_[0] ? 1.0 : 0.0,
      joints_[2]->GetJointAngle(),
      joints_[2]->GetJointSpeed() / kSpeedHip,
      joints_[3]->GetJointAngle() + 1.0,
      joints_[3]->GetJointSpeed() / kSpeedKnee,
      lower_contact_[1] ? 1.0 : 0.0,
  };
  for (int i = 0; i < 10; ++i) {
    LidarCallback lidar;
    const b2Vec2 p2 = V(pos.x + std::sin(1.5 * i / 10.0) * kLidarRange,
                        pos.y - std::cos(1.5 * i / 10.0) * kLidarRange);
    world_->RayCast(&lidar, pos, p2);
    s[14 + i] = lidar.fraction;
  }
  for (int i = 0; i < 24; ++i) obs[i] = static_cast<float>(s[i]);

  double shaping = 130 * pos.x / kScale;
  shaping -= 5.0 * std::abs(s[0]);
  StepResult r;
  r.reward = prev_shaping_ ? shaping - *prev_shaping_ : 0.0;
  prev_shaping_ = shaping;
  for (int j = 0; j < 4; ++j) {
    r.reward -= 0.00035 * kMotorsTorque * std::clamp(std::abs(static_cast<double>(action[j])), 0.0, 1.0);
  }
  const bool fell = game_over_ || pos.x < 0;
  if (fell) {
    r.reward = -100;
    r.terminated = true;
  }
  if (pos.x > (kTerrainLength - kTerrainGrass) * kTerrainStep) r.terminated = true;
  goal_reached_ = r.terminated && !fell;
  return r;
}

}  // namespace fleet::envs
