// InvertedDoublePendulum-v5, Reacher-v5 and Pusher-v5: observation layouts, rewards,
// resets and termination after Gymnasium's inverted_double_pendulum_v5.py, reacher_v5.py
// and pusher_v5.py (defaults, time limits and reward thresholds from its registrations).
#include <algorithm>
#include <cmath>

#include <mujoco/mujoco.h>

#include "envs/mujoco/mujoco_env.h"

namespace fleet::envs {
namespace {

double Distance3(const double* a, const double* b) {
  const double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
  return std::sqrt(dx * dx + dy * dy + dz * dz);
}

// InvertedDoublePendulum-v5: observation cart x, sin and cos of the two hinge angles,
// qvel clipped to +-10, the slider's constraint force clipped to +-10 (9 values).
// Reward 10 (healthy_reward) while the tip (the "tip" site) is above 1 m, minus
// 0.01 x_tip^2 + (y_tip - 2)^2 and 1e-3 w1^2 + 5e-3 w2^2; the tip at or below 1 m ends
// the episode. Reset: qpos0 + U(-s, s), qvel s N(0, 1), s = reset_noise_scale (0.1).
class InvertedDoublePendulum : public MujocoEnv {
 public:
  InvertedDoublePendulum(std::shared_ptr<const mjModel> m, double healthy_reward, double noise)
      : MujocoEnv(MujocoSpec("InvertedDoublePendulum-v5", 9, m.get(), 9100.0, 1000), m,
                  /*frame_skip=*/5, noise),
        healthy_reward_(healthy_reward) {}

 protected:
  void ResetVelocityNoise(std::mt19937_64& rng, double* qvel) const override {
    std::normal_distribution<double> n(0.0, 1.0);
    for (int i = 0; i < nv(); ++i) qvel[i] = reset_noise_scale_ * n(rng);
  }
  void WriteObs(float* obs) const override {
    const mjData* d = data();
    int k = 0;
    obs[k++] = static_cast<float>(d->qpos[0]);
    for (int i = 1; i < nq(); ++i) obs[k++] = static_cast<float>(std::sin(d->qpos[i]));
    for (int i = 1; i < nq(); ++i) obs[k++] = static_cast<float>(std::cos(d->qpos[i]));
    for (int i = 0; i < nv(); ++i) obs[k++] = static_cast<float>(std::clamp(d->qvel[i], -10.0, 10.0));
    obs[k++] = static_cast<float>(std::clamp(d->qfrc_constraint[0], -10.0, 10.0));
  }
  StepResult Reward(double, const float*) const override {
    const mjData* d = data();
    const double x = d->site_xpos[0], y = d->site_xpos[2];
    const double v1 = d->qvel[1], v2 = d->qvel[2];
    StepResult r;
    r.terminated = y <= 1.0;
    r.reward = (r.terminated ? 0.0 : healthy_reward_) - (0.01 * x * x + (y - 2) * (y - 2)) -
               (1e-3 * v1 * v1 + 5e-3 * v2 * v2);
    return r;
  }

 private:
  double healthy_reward_;
};

// Reacher-v5: observation cos and sin of the two arm angles, the target's position (its
// two slide joints), the arm's joint velocities, and fingertip - target in x, y (10
// values). Reward -|fingertip - target| (3D, body frames) x reward_dist_weight -
// |action|^2 x reward_control_weight; never terminates, 50 steps. Reset: qpos0 +
// U(-0.1, 0.1), the target uniform in the disc of radius 0.2 (rejection from the square),
// qvel U(-0.005, 0.005) with the target's at rest.
class Reacher : public MujocoEnv {
 public:
  Reacher(std::shared_ptr<const mjModel> m, double dist_w, double ctrl_w)
      : MujocoEnv(MujocoSpec("Reacher-v5", 10, m.get(), -3.75, 50), m, /*frame_skip=*/2, 0.1),
        dist_w_(dist_w),
        ctrl_w_(ctrl_w),
        fingertip_(BodyId("fingertip")),
        target_(BodyId("target")) {}

 protected:
  void ResetState(std::mt19937_64& rng, double* qpos, double* qvel) const override {
    std::uniform_real_distribution<double> arm(-0.1, 0.1), goal(-0.2, 0.2), vel(-0.005, 0.005);
    for (int i = 0; i < nq(); ++i) qpos[i] += arm(rng);
    double gx, gy;
    do {
      gx = goal(rng);
      gy = goal(rng);
    } while (!(std::hypot(gx, gy) < 0.2));
    qpos[nq() - 2] = gx;
    qpos[nq() - 1] = gy;
    for (int i = 0; i < nv(); ++i) qvel[i] = vel(rng);
    qvel[nv() - 2] = qvel[nv() - 1] = 0.0;
  }
  void WriteObs(float* obs) const override {
    const mjData* d = data();
    int k = 0;
    for (int i = 0; i < 2; ++i) obs[k++] = static_cast<float>(std::cos(d->qpos[i]));
    for (int i = 0; i < 2; ++i) obs[k++] = static_cast<float>(std::sin(d->qpos[i]));
    for (int i = 2; i < nq(); ++i) obs[k++] = static_cast<float>(d->qpos[i]);
    for (int i = 0; i < 2; ++i) obs[k++] = static_cast<float>(d->qvel[i]);
    const double* f = BodyPos(fingertip_);
    const double* t = BodyPos(target_);
    obs[k++] = static_cast<float>(f[0] - t[0]);
    obs[k++] = static_cast<float>(f[1] - t[1]);
  }
  StepResult Reward(double, const float* action) const override {
    StepResult r;
    r.reward = -Distance3(BodyPos(fingertip_), BodyPos(target_)) * dist_w_ -
               ControlCost(action, ctrl_w_);
    return r;
  }

 private:
  double dist_w_, ctrl_w_;
  int fingertip_, target_;
};

// Pusher-v5: observation the arm's 7 joint angles and velocities, then the world
// positions of the arm's tips, the object and the goal (23 values). Reward
// -|object - tips| x reward_near_weight - |object - goal| x reward_dist_weight -
// |action|^2 x reward_control_weight; never terminates, 100 steps. Reset: the arm at
// qpos0 (no noise), the goal at the origin of its slides, the object uniform in
// x in [-0.3, 0], y in [-0.2, 0.2] at least 0.17 from the goal, qvel U(-0.005, 0.005) with
// the object and goal at rest.
class Pusher : public MujocoEnv {
 public:
  struct Weights {
    double near = 0.5, dist = 1.0, ctrl = 0.1;
  };
  Pusher(std::shared_ptr<const mjModel> m, Weights w)
      : MujocoEnv(MujocoSpec("Pusher-v5", 23, m.get(), 0.0, 100), m, /*frame_skip=*/5, 0.0),
        w_(w),
        tips_(BodyId("tips_arm")),
        object_(BodyId("object")),
        goal_(BodyId("goal")) {}

 protected:
  void ResetState(std::mt19937_64& rng, double* qpos, double* qvel) const override {
    std::uniform_real_distribution<double> ox(-0.3, 0.0), oy(-0.2, 0.2), vel(-0.005, 0.005);
    double x, y;
    do {
      x = ox(rng);
      y = oy(rng);
    } while (!(std::hypot(x, y) > 0.17));
    // the object's joints are (slide y, slide x) in the model, Gymnasium writes its
    // sampled (x, y) into them in that order, and so does Fleet.
    qpos[nq() - 4] = x;
    qpos[nq() - 3] = y;
    qpos[nq() - 2] = 0.0;
    qpos[nq() - 1] = 0.0;
    for (int i = 0; i < nv(); ++i) qvel[i] = vel(rng);
    for (int i = nv() - 4; i < nv(); ++i) qvel[i] = 0.0;
  }
  void WriteObs(float* obs) const override {
    const mjData* d = data();
    int k = 0;
    for (int i = 0; i < 7; ++i) obs[k++] = static_cast<float>(d->qpos[i]);
    for (int i = 0; i < 7; ++i) obs[k++] = static_cast<float>(d->qvel[i]);
    for (int body : {tips_, object_, goal_}) {
      for (int j = 0; j < 3; ++j) obs[k++] = static_cast<float>(BodyPos(body)[j]);
    }
  }
  StepResult Reward(double, const float* action) const override {
    StepResult r;
    r.reward = -Distance3(BodyPos(object_), BodyPos(tips_)) * w_.near -
               Distance3(BodyPos(object_), BodyPos(goal_)) * w_.dist -
               ControlCost(action, w_.ctrl);
    return r;
  }

 private:
  Weights w_;
  int tips_, object_, goal_;
};

StatusOr<std::unique_ptr<Env>> MakeInvertedDoublePendulum(EnvOptions& options) {
  FLEET_ASSIGN_OR_RETURN(double healthy, options.GetDouble("healthy_reward", 10.0));
  FLEET_ASSIGN_OR_RETURN(double noise, options.GetDouble("reset_noise_scale", 0.1));
  FLEET_ASSIGN_OR_RETURN(auto model, LoadMujocoModel("inverted_double_pendulum.xml"));
  return std::unique_ptr<Env>(new InvertedDoublePendulum(model, healthy, noise));
}

StatusOr<std::unique_ptr<Env>> MakeReacher(EnvOptions& options) {
  FLEET_ASSIGN_OR_RETURN(double dist, options.GetDouble("reward_dist_weight", 1.0));
  FLEET_ASSIGN_OR_RETURN(double ctrl, options.GetDouble("reward_control_weight", 1.0));
  FLEET_ASSIGN_OR_RETURN(auto model, LoadMujocoModel("reacher.xml"));
  return std::unique_ptr<Env>(new Reacher(model, dist, ctrl));
}

StatusOr<std::unique_ptr<Env>> MakePusher(EnvOptions& options) {
  Pusher::Weights w;
  FLEET_ASSIGN_OR_RETURN(w.near, options.GetDouble("reward_near_weight", w.near));
  FLEET_ASSIGN_OR_RETURN(w.dist, options.GetDouble("reward_dist_weight", w.dist));
  FLEET_ASSIGN_OR_RETURN(w.ctrl, options.GetDouble("reward_control_weight", w.ctrl));
  FLEET_ASSIGN_OR_RETURN(auto model, LoadMujocoModel("pusher.xml"));
  return std::unique_ptr<Env>(new Pusher(model, w));
}

}  // namespace

void RegisterMujocoControlEnvs() {
  RegisterEnv("InvertedDoublePendulum-v5", MakeInvertedDoublePendulum);
  RegisterEnv("Reacher-v5", MakeReacher);
  RegisterEnv("Pusher-v5", MakePusher);
}

}  // namespace fleet::envs
