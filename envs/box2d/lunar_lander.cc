#include "envs/box2d/lunar_lander.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <box2d/box2d.h>

namespace fleet::envs {
namespace {

// Gymnasium's constants (lunar_lander.py).
constexpr double kFps = 50;
constexpr double kScale = 30.0;
constexpr double kMainEnginePower = 13.0;
constexpr double kSideEnginePower = 0.6;
constexpr double kInitialRandom = 1000.0;
constexpr float kLanderPoly[6][2] = {{-14, 17}, {-17, 0}, {-17, -10}, {17, -10}, {17, 0}, {14, 17}};
constexpr double kLegAway = 20, kLegDown = 18, kLegW = 2, kLegH = 8;
constexpr double kLegSpringTorque = 40;
constexpr double kSideEngineHeight = 14, kSideEngineAway = 12;
constexpr double kMainEngineYLocation = 4;
constexpr double kViewportW = 600, kViewportH = 400;
constexpr double kW = kViewportW / kScale, kH = kViewportH / kScale;
constexpr int kChunks = 11;

EnvSpec LunarLanderSpec(bool continuous) {
  const double pi2 = 2 * std::numbers::pi;
  EnvSpec spec;
  spec.id = continuous ? "LunarLanderContinuous-v3" : "LunarLander-v3";
  spec.observation_space = Space::Box({-2.5, -2.5, -10, -10, -pi2, -10, -0.0, -0.0},
                                      {2.5, 2.5, 10, 10, pi2, 10, 1, 1});
  spec.action_space = continuous ? Space::Box({-1, -1}, {1, 1}) : Space::Discrete(4);
  spec.max_episode_steps = 1000;
  spec.reward_threshold = 200.0;
  return spec;
}

}  // namespace

// Sets game_over when the lander's hull touches the ground, and tracks leg contacts.
class LunarLander::ContactListener : public b2ContactListener {
 public:
  explicit ContactListener(LunarLander* env) : env_(env) {}
  void BeginContact(b2Contact* contact) override { Update(contact, true); }
  void EndContact(b2Contact* contact) override { Update(contact, false); }

 private:
  void Update(b2Contact* contact, bool begin) {
    const b2Body* a = contact->GetFixtureA()->GetBody();
    const b2Body* b = contact->GetFixtureB()->GetBody();
    if (begin && (a == env_->lander_ || b == env_->lander_)) env_->game_over_ = true;
    for (int i = 0; i < 2; ++i) {
      if (a == env_->legs_[i] || b == env_->legs_[i]) env_->leg_contact_[i] = begin;
    }
  }
  LunarLander* env_;
};

StatusOr<std::unique_ptr<Env>> LunarLander::Create(EnvOptions& options, bool continuous_default) {
  Options o;
  FLEET_ASSIGN_OR_RETURN(o.continuous, options.GetBool("continuous", continuous_default));
  FLEET_ASSIGN_OR_RETURN(o.gravity, options.GetDouble("gravity", o.gravity));
  FLEET_ASSIGN_OR_RETURN(o.enable_wind, options.GetBool("enable_wind", o.enable_wind));
  FLEET_ASSIGN_OR_RETURN(o.wind_power, options.GetDouble("wind_power", o.wind_power));
  FLEET_ASSIGN_OR_RETURN(o.turbulence_power,
                         options.GetDouble("turbulence_power", o.turbulence_power));
  if (!(o.gravity > -12.0 && o.gravity < 0.0)) {
    return InvalidArgumentError("LunarLander: gravity " + std::to_string(o.gravity) +
                                " must be between -12 and 0");
  }
  return std::unique_ptr<Env>(new LunarLander(o));
}

LunarLander::LunarLander(const Options& options)
    : Env(LunarLanderSpec(options.continuous)), options_(options), rng_(0) {}

LunarLander::~LunarLander() = default;

void LunarLander::DoReset(std::optional<uint64_t> seed, float* obs) {
  if (seed) rng_.seed(*seed);
  goal_reached_ = false;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto uniform = [&](double lo, double hi) { return lo + (hi - lo) * unit(rng_); };

  world_ = std::make_unique<b2World>(b2Vec2(0.0f, static_cast<float>(options_.gravity)));
  listener_ = std::make_unique<ContactListener>(this);
  world_->SetContactListener(listener_.get());
  game_over_ = false;
  leg_contact_ = {false, false};
  prev_shaping_.reset();

  // terrain: 12 random heights, the middle five flattened into the pad, smoothed over
  // three neighbours (index -1 wraps to the last height, as Python's indexing does).
  std::array<double, kChunks + 1> height;
  for (double& h : height) h = uniform(0, kH / 2);
  std::array<double, kChunks> chunk_x, smooth_y;
  for (int i = 0; i < kChunks; ++i) chunk_x[i] = kW / (kChunks - 1) * i;
  helipad_y_ = kH / 4;
  for (int k = -2; k <= 2; ++k) height[kChunks / 2 + k] = helipad_y_;
  for (int i = 0; i < kChunks; ++i) {
    smooth_y[i] = 0.33 * (height[(i + kChunks) % (kChunks + 1)] + height[i] + height[i + 1]);
  }
  b2BodyDef moon_def;
  b2Body* moon = world_->CreateBody(&moon_def);
  b2EdgeShape floor;
  floor.SetTwoSided(b2Vec2(0, 0), b2Vec2(static_cast<float>(kW), 0));
  b2FixtureDef floor_fixture;
  floor_fixture.shape = &floor;
  moon->CreateFixture(&floor_fixture);
  for (int i = 0; i < kChunks - 1; ++i) {
    b2EdgeShape edge;
    edge.SetTwoSided(b2Vec2(static_cast<float>(chunk_x[i]), static_cast<float>(smooth_y[i])),
                     b2Vec2(static_cast<float>(chunk_x[i + 1]), static_cast<float>(smooth_y[i + 1])));
    b2FixtureDef fd;
    fd.shape = &edge;
    fd.density = 0.0f;
    fd.friction = 0.1f;
    moon->CreateFixture(&fd);
  }

  const float initial_x = static_cast<float>(kViewportW / kScale / 2);
  const float initial_y = static_cast<float>(kViewportH / kScale);
  b2BodyDef lander_def;
  lander_def.type = b2_dynamicBody;
  lander_def.position.Set(initial_x, initial_y);
  lander_ = world_->CreateBody(&lander_def);
  b2Vec2 verts[6];
  for (int i = 0; i < 6; ++i) {
    verts[i].Set(static_cast<float>(kLanderPoly[i][0] / kScale),
                 static_cast<float>(kLanderPoly[i][1] / kScale));
  }
  b2PolygonShape hull;
  hull.Set(verts, 6);
  b2FixtureDef hull_fixture;
  hull_fixture.shape = &hull;
  hull_fixture.density = 5.0f;
  hull_fixture.friction = 0.1f;
  hull_fixture.filter.categoryBits = 0x0010;
  hull_fixture.filter.maskBits = 0x001;  // collide only with ground
  hull_fixture.restitution = 0.0f;
  lander_->CreateFixture(&hull_fixture);
  const double fx = uniform(-kInitialRandom, kInitialRandom);
  const double fy = uniform(-kInitialRandom, kInitialRandom);
  lander_->ApplyForceToCenter(b2Vec2(static_cast<float>(fx), static_cast<float>(fy)), true);

  if (options_.enable_wind) {
    // numpy's integers(-9999, 9999): the high end is exclusive.
    wind_idx_ = std::uniform_int_distribution<int64_t>(-9999, 9998)(rng_);
    torque_idx_ = std::uniform_int_distribution<int64_t>(-9999, 9998)(rng_);
  }

  for (int k = 0; k < 2; ++k) {
    const int i = k == 0 ? -1 : 1;
    b2BodyDef leg_def;
    leg_def.type = b2_dynamicBody;
    leg_def.position.Set(static_cast<float>(initial_x - i * kLegAway / kScale), initial_y);
    leg_def.angle = static_cast<float>(i * 0.05);
    b2Body* leg = world_->CreateBody(&leg_def);
    b2PolygonShape box;
    box.SetAsBox(static_cast<float>(kLegW / kScale), static_cast<float>(kLegH / kScale));
    b2FixtureDef leg_fixture;
    leg_fixture.shape = &box;
    leg_fixture.density = 1.0f;
    leg_fixture.restitution = 0.0f;
    leg_fixture.filter.categoryBits = 0x0020;
    leg_fixture.filter.maskBits = 0x001;
    leg->CreateFixture(&leg_fixture);
    b2RevoluteJointDef rjd;
    rjd.bodyA = lander_;
    rjd.bodyB = leg;
    // the legs are made at +-0.05 rad; pybox2d's revoluteJointDef counts the joint angle
    // (and so the limits below) from there, as Gymnasium's lander relies on.
    rjd.referenceAngle = leg->GetAngle() - lander_->GetAngle();
    rjd.localAnchorA.Set(0, 0);
    rjd.localAnchorB.Set(static_cast<float>(i * kLegAway / kScale),
                         static_cast<float>(kLegDown / kScale));
    rjd.enableMotor = true;
    rjd.enableLimit = true;
    rjd.maxMotorTorque = static_cast<float>(kLegSpringTorque);
    rjd.motorSpeed = static_cast<float>(0.3 * i);  // low enough not to jump back into the sky
    if (i == -1) {
      rjd.lowerAngle = 0.9f - 0.5f;
      rjd.upperAngle = 0.9f;
    } else {
      rjd.lowerAngle = -0.9f;
      rjd.upperAngle = -0.9f + 0.5f;
    }
    world_->CreateJoint(&rjd);
    legs_[k] = leg;
  }
  // Gymnasium's reset returns the observation of one no-op step.
  const float noop[2] = {0.0f, 0.0f};
  Advance(noop, obs);
}

StepResult LunarLander::DoStep(const float* action, float* obs) { return Advance(action, obs); }

StepResult LunarLander::Advance(const float* action_in, float* obs) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto uniform = [&](double lo, double hi) { return lo + (hi - lo) * unit(rng_); };
  const bool continuous = options_.continuous;
  double action[2] = {0.0, 0.0};
  int discrete = 0;
  if (continuous) {
    action[0] = std::clamp(static_cast<double>(action_in[0]), -1.0, 1.0);
    action[1] = std::clamp(static_cast<double>(action_in[1]), -1.0, 1.0);
  } else {
    discrete = static_cast<int>(action_in[0]);
  }

  if (options_.enable_wind && !(leg_contact_[0] || leg_contact_[1])) {
    const double wind = std::tanh(std::sin(0.02 * wind_idx_) +
                                  std::sin(std::numbers::pi * 0.01 * wind_idx_)) *
                        options_.wind_power;
    ++wind_idx_;
    lander_->ApplyForceToCenter(b2Vec2(static_cast<float>(wind), 0.0f), true);
    const double torque = std::tanh(std::sin(0.02 * torque_idx_) +
                                    std::sin(std::numbers::pi * 0.01 * torque_idx_)) *
                          options_.turbulence_power;
    ++torque_idx_;
    lander_->ApplyTorque(static_cast<float>(torque), true);
  }

  const double angle = lander_->GetAngle();
  const double tip[2] = {std::sin(angle), std::cos(angle)};
  const double side[2] = {-tip[1], tip[0]};
  const double dispersion[2] = {uniform(-1.0, 1.0) / kScale, uniform(-1.0, 1.0) / kScale};
  const b2Vec2 pos = lander_->GetPosition();

  double m_power = 0.0;
  if ((continuous && action[0] > 0.0) || (!continuous && discrete == 2)) {
    m_power = continuous ? (std::clamp(action[0], 0.0, 1.0) + 1.0) * 0.5 : 1.0;
    const double ox = tip[0] * (kMainEngineYLocation / kScale + 2 * dispersion[0]) +
                      side[0] * dispersion[1];
    const double oy = -tip[1] * (kMainEngineYLocation / kScale + 2 * dispersion[0]) -
                      side[1] * dispersion[1];
    const b2Vec2 at(static_cast<float>(pos.x + ox), static_cast<float>(pos.y + oy));
    lander_->ApplyLinearImpulse(b2Vec2(static_cast<float>(-ox * kMainEnginePower * m_power),
                                       static_cast<float>(-oy * kMainEnginePower * m_power)),
                                at, true);
  }

  double s_power = 0.0;
  if ((continuous && std::abs(action[1]) > 0.5) ||
      (!continuous && (discrete == 1 || discrete == 3))) {
    double direction;
    if (continuous) {
      direction = action[1] > 0 ? 1.0 : -1.0;
      s_power = std::clamp(std::abs(action[1]), 0.5, 1.0);
    } else {
      direction = discrete - 2;
      s_power = 1.0;
    }
    const double ox =
        tip[0] * dispersion[0] + side[0] * (3 * dispersion[1] + direction * kSideEngineAway / kScale);
    const double oy =
        -tip[1] * dispersion[0] - side[1] * (3 * dispersion[1] + direction * kSideEngineAway / kScale);
    const b2Vec2 at(static_cast<float>(pos.x + ox - tip[0] * 17 / kScale),
                    static_cast<float>(pos.y + oy + tip[1] * kSideEngineHeight / kScale));
    lander_->ApplyLinearImpulse(b2Vec2(static_cast<float>(-ox * kSideEnginePower * s_power),
                                       static_cast<float>(-oy * kSideEnginePower * s_power)),
                                at, true);
  }

  world_->Step(static_cast<float>(1.0 / kFps), 6 * 30, 2 * 30);

  const b2Vec2 p = lander_->GetPosition();
  const b2Vec2 v = lander_->GetLinearVelocity();
  double s[8] = {
      (p.x - kViewportW / kScale / 2) / (kViewportW / kScale / 2),
      (p.y - (helipad_y_ + kLegDown / kScale)) / (kViewportH / kScale / 2),
      v.x * (kViewportW / kScale / 2) / kFps,
      v.y * (kViewportH / kScale / 2) / kFps,
      lander_->GetAngle(),
      20.0 * lander_->GetAngularVelocity() / kFps,
      leg_contact_[0] ? 1.0 : 0.0,
      leg_contact_[1] ? 1.0 : 0.0,
  };
  for (int i = 0; i < 8; ++i) obs[i] = static_cast<float>(s[i]);

  const double shaping = -100 * std::sqrt(s[0] * s[0] + s[1] * s[1]) -
                         100 * std::sqrt(s[2] * s[2] + s[3] * s[3]) - 100 * std::abs(s[4]) +
                         10 * s[6] + 10 * s[7];
  StepResult r;
  r.reward = prev_shaping_ ? shaping - *prev_shaping_ : 0.0;
  prev_shaping_ = shaping;
  r.reward -= m_power * 0.30;
  r.reward -= s_power * 0.03;
  if (game_over_ || std::abs(s[0]) >= 1.0) {
    r.terminated = true;
    r.reward = -100;
  }
  goal_reached_ = !lander_->IsAwake();
  if (goal_reached_) {
    r.terminated = true;
    r.reward = +100;
  }
  return r;
}

void LunarLander::Heuristic(const float* s, bool continuous, float* action) {
  double angle_targ = std::clamp(s[0] * 0.5 + s[2] * 1.0, -0.4, 0.4);
  const double hover_targ = 0.55 * std::abs(s[0]);
  double angle_todo = (angle_targ - s[4]) * 0.5 - s[5] * 1.0;
  double hover_todo = (hover_targ - s[1]) * 0.5 - s[3] * 0.5;
  if (s[6] != 0.0f || s[7] != 0.0f) {
    angle_todo = 0;
    hover_todo = -s[3] * 0.5;
  }
  if (continuous) {
    action[0] = static_cast<float>(std::clamp(hover_todo * 20 - 1, -1.0, 1.0));
    action[1] = static_cast<float>(std::clamp(-angle_todo * 20, -1.0, 1.0));
  } else {
    int a = 0;
    if (hover_todo > std::abs(angle_todo) && hover_todo > 0.05) {
      a = 2;
    } else if (angle_todo < -0.05) {
      a = 3;
    } else if (angle_todo > 0.05) {
      a = 1;
    }
    action[0] = static_cast<float>(a);
  }
}

}  // namespace fleet::envs
