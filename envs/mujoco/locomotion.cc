// HalfCheetah-v5, Hopper-v5, Walker2d-v5, Swimmer-v5, InvertedPendulum-v5, Ant-v5,
// Humanoid-v5 and HumanoidStandup-v5:
// observation layouts, rewards and healthy conditions after Gymnasium's *_v5.py.
#include <algorithm>
#include <cmath>
#include <limits>

#include <mujoco/mujoco.h>

#include "envs/mujoco/mujoco_env.h"

namespace fleet::envs {
namespace {

EnvSpec LocomotionSpec(const std::string& id, int obs_dim, const mjModel* m,
                       std::optional<double> threshold) {
  return MujocoSpec(id, obs_dim, m, threshold, /*max_episode_steps=*/1000);
}

// qpos without its first `skip` values, then qvel, optionally clipped to +-vel_clip.
void WritePositionsVelocities(const mjModel* m, const mjData* d, int skip, double vel_clip,
                              float* obs) {
  int k = 0;
  for (int i = skip; i < m->nq; ++i) obs[k++] = static_cast<float>(d->qpos[i]);
  for (int i = 0; i < m->nv; ++i) {
    double v = d->qvel[i];
    if (vel_clip > 0) v = std::clamp(v, -vel_clip, vel_clip);
    obs[k++] = static_cast<float>(v);
  }
}

struct CommonOptions {
  double forward_reward_weight = 1.0;
  double ctrl_cost_weight = 0.0;
  double reset_noise_scale = 0.0;
  bool exclude_x = true;
  double healthy_reward = 1.0;
  bool terminate_when_unhealthy = true;
};

Status ReadCommon(EnvOptions& o, CommonOptions& c, bool healthy) {
  FLEET_ASSIGN_OR_RETURN(c.forward_reward_weight,
                         o.GetDouble("forward_reward_weight", c.forward_reward_weight));
  FLEET_ASSIGN_OR_RETURN(c.ctrl_cost_weight, o.GetDouble("ctrl_cost_weight", c.ctrl_cost_weight));
  FLEET_ASSIGN_OR_RETURN(c.reset_noise_scale,
                         o.GetDouble("reset_noise_scale", c.reset_noise_scale));
  FLEET_ASSIGN_OR_RETURN(c.exclude_x, o.GetBool("exclude_current_positions_from_observation",
                                                c.exclude_x));
  if (healthy) {
    FLEET_ASSIGN_OR_RETURN(c.healthy_reward, o.GetDouble("healthy_reward", c.healthy_reward));
    FLEET_ASSIGN_OR_RETURN(c.terminate_when_unhealthy,
                           o.GetBool("terminate_when_unhealthy", c.terminate_when_unhealthy));
  }
  return OkStatus();
}

// HalfCheetah-v5 and Swimmer-v5: forward reward on the x velocity minus the control
// cost, never terminating; the observation leaves out the first `skip` positions.
class ForwardRunner : public MujocoEnv {
 public:
  struct Shape {
    const char* id;
    int skip;            // positions left out of the observation (x; Swimmer: x, y)
    int frame_skip;
    bool normal_qvel;    // HalfCheetah draws qvel noise from N(0, 1) x scale
    double threshold;
  };
  ForwardRunner(std::shared_ptr<const mjModel> m, CommonOptions o, Shape shape)
      : MujocoEnv(LocomotionSpec(shape.id, m->nq + m->nv - (o.exclude_x ? shape.skip : 0),
                                 m.get(), shape.threshold),
                  m, shape.frame_skip, o.reset_noise_scale),
        o_(o),
        shape_(shape) {}

 protected:
  void WriteObs(float* obs) const override {
    WritePositionsVelocities(model(), data(), o_.exclude_x ? shape_.skip : 0, 0.0, obs);
  }
  void ResetVelocityNoise(std::mt19937_64& rng, double* qvel) const override {
    if (!shape_.normal_qvel) return MujocoEnv::ResetVelocityNoise(rng, qvel);
    std::normal_distribution<double> n(0.0, 1.0);
    for (int i = 0; i < nv(); ++i) qvel[i] = reset_noise_scale_ * n(rng);
  }
  StepResult Reward(double x_before, const float* action) const override {
    const double x_velocity = (qpos()[0] - x_before) / dt();
    return StepResult{o_.forward_reward_weight * x_velocity -
                          ControlCost(action, o_.ctrl_cost_weight),
                      false, false};
  }

 private:
  CommonOptions o_;
  Shape shape_;
};

// Hopper-v5 and Walker2d-v5 share the reward: forward + healthy - control cost.
class Walker : public MujocoEnv {
 public:
  struct Healthy {
    double z_min, z_max, angle_min, angle_max;
    bool check_state;  // Hopper: every state_vector()[2:] value inside (-100, 100)
  };
  Walker(const std::string& id, std::shared_ptr<const mjModel> m, CommonOptions o, Healthy h,
         std::optional<double> threshold)
      : MujocoEnv(LocomotionSpec(id, m->nq + m->nv - (o.exclude_x ? 1 : 0), m.get(), threshold), m,
                  /*frame_skip=*/4, o.reset_noise_scale),
        o_(o),
        h_(h) {}

 protected:
  void WriteObs(float* obs) const override {
    WritePositionsVelocities(model(), data(), o_.exclude_x ? 1 : 0,
                             10.0, obs);
  }
  bool IsHealthy() const {
    const double z = qpos()[1], angle = qpos()[2];
    if (h_.check_state) {
      for (int i = 2; i < nq(); ++i) if (!(qpos()[i] > -100.0 && qpos()[i] < 100.0)) return false;
      for (int i = 0; i < nv(); ++i) if (!(qvel()[i] > -100.0 && qvel()[i] < 100.0)) return false;
    }
    return z > h_.z_min && z < h_.z_max && angle > h_.angle_min && angle < h_.angle_max;
  }
  StepResult Reward(double x_before, const float* action) const override {
    const double x_velocity = (qpos()[0] - x_before) / dt();
    const bool healthy = IsHealthy();
    StepResult r;
    r.reward = o_.forward_reward_weight * x_velocity + (healthy ? o_.healthy_reward : 0.0) -
               ControlCost(action, o_.ctrl_cost_weight);
    r.terminated = !healthy && o_.terminate_when_unhealthy;
    return r;
  }

 private:
  CommonOptions o_;
  Healthy h_;
};

// InvertedPendulum-v5: reward 1 while the pole stays within 0.2 rad, which ends it.
class InvertedPendulum : public MujocoEnv {
 public:
  InvertedPendulum(std::shared_ptr<const mjModel> m, double reset_noise_scale)
      : MujocoEnv(LocomotionSpec("InvertedPendulum-v5", m->nq + m->nv, m.get(), 950.0), m,
                  /*frame_skip=*/2, reset_noise_scale) {}

 protected:
  void WriteObs(float* obs) const override {
    WritePositionsVelocities(model(), data(), 0, 0.0, obs);
  }
  StepResult Reward(double, const float*) const override {
    bool finite = true;
    for (int i = 0; i < nq(); ++i) finite = finite && std::isfinite(qpos()[i]);
    for (int i = 0; i < nv(); ++i) finite = finite && std::isfinite(qvel()[i]);
    StepResult r;
    r.terminated = !finite || std::abs(qpos()[1]) > 0.2;
    r.reward = r.terminated ? 0.0 : 1.0;
    return r;
  }
};

// Ant-v5: forward reward on the torso's x velocity (body 1's xpos, as Gymnasium reads it
// after stepping), healthy while the torso is at 0.2 <= z <= 1.0 and the state finite,
// contact cost on the clipped external contact forces, which the observation also holds
// (bodies 1.., 6 values each).
class Ant : public MujocoEnv {
 public:
  struct Options {
    CommonOptions common;
    double contact_cost_weight = 5e-4;
    bool include_cfrc_ext = true;
  };
  Ant(std::shared_ptr<const mjModel> m, Options o)
      : MujocoEnv(LocomotionSpec("Ant-v5",
                                 m->nq + m->nv - (o.common.exclude_x ? 2 : 0) +
                                     (o.include_cfrc_ext ? 6 * (m->nbody - 1) : 0),
                                 m.get(), 6000.0),
                  m, /*frame_skip=*/5, o.common.reset_noise_scale),
        o_(o) {
    contact_forces_ = true;
  }

 protected:
  double Progress() const override { return data()->xpos[3 * 1]; }
  void ResetVelocityNoise(std::mt19937_64& rng, double* qvel) const override {
    std::normal_distribution<double> n(0.0, 1.0);
    for (int i = 0; i < nv(); ++i) qvel[i] = reset_noise_scale_ * n(rng);
  }
  void WriteObs(float* obs) const override {
    const mjData* d = data();
    WritePositionsVelocities(model(), d, o_.common.exclude_x ? 2 : 0, 0.0, obs);
    if (!o_.include_cfrc_ext) return;
    float* out = obs + nq() + nv() - (o_.common.exclude_x ? 2 : 0);
    for (int i = 6; i < 6 * model()->nbody; ++i) {
      *out++ = static_cast<float>(std::clamp(d->cfrc_ext[i], -1.0, 1.0));
    }
  }
  StepResult Reward(double x_before, const float* action) const override {
    const mjData* d = data();
    const double x_velocity = (Progress() - x_before) / dt();
    double contact = 0.0;
    for (int i = 0; i < 6 * model()->nbody; ++i) {
      const double f = std::clamp(d->cfrc_ext[i], -1.0, 1.0);
      contact += f * f;
    }
    bool healthy = qpos()[2] >= 0.2 && qpos()[2] <= 1.0;
    for (int i = 0; i < nq(); ++i) healthy = healthy && std::isfinite(qpos()[i]);
    for (int i = 0; i < nv(); ++i) healthy = healthy && std::isfinite(qvel()[i]);
    StepResult r;
    r.reward = o_.common.forward_reward_weight * x_velocity +
               (healthy ? o_.common.healthy_reward : 0.0) -
               ControlCost(action, o_.common.ctrl_cost_weight) -
               o_.contact_cost_weight * contact;
    r.terminated = !healthy && o_.common.terminate_when_unhealthy;
    return r;
  }

 private:
  Options o_;
};

StatusOr<std::unique_ptr<Env>> MakeAnt(EnvOptions& options) {
  Ant::Options o;
  o.common.ctrl_cost_weight = 0.5;
  o.common.reset_noise_scale = 0.1;
  FLEET_RETURN_IF_ERROR(ReadCommon(options, o.common, /*healthy=*/true));
  FLEET_ASSIGN_OR_RETURN(o.contact_cost_weight,
                         options.GetDouble("contact_cost_weight", o.contact_cost_weight));
  FLEET_ASSIGN_OR_RETURN(o.include_cfrc_ext,
                         options.GetBool("include_cfrc_ext_in_observation", o.include_cfrc_ext));
  FLEET_ASSIGN_OR_RETURN(auto model, LoadMujocoModel("ant.xml"));
  return std::unique_ptr<Env>(new Ant(model, o));
}

// Humanoid-v5: forward reward on the x velocity of the centre of mass (mass-weighted
// xipos), healthy while 1 < z < 2; observation qpos[2:], qvel, cinert[1:], cvel[1:],
// qfrc_actuator[6:], cfrc_ext[1:] (348 values); contact cost 5e-7 sum(cfrc_ext^2), capped
// at 10.
class Humanoid : public MujocoEnv {
 public:
  Humanoid(std::shared_ptr<const mjModel> m, CommonOptions o, double contact_cost_weight,
           const char* id = "Humanoid-v5")
      : MujocoEnv(LocomotionSpec(id, ObsSize(m.get(), o.exclude_x), m.get(), std::nullopt),
                  m, /*frame_skip=*/5, o.reset_noise_scale),
        o_(o),
        contact_cost_weight_(contact_cost_weight) {
    contact_forces_ = true;
  }
  static int ObsSize(const mjModel* m, bool exclude_x) {
    return m->nq + m->nv - (exclude_x ? 2 : 0) + 10 * (m->nbody - 1) + 6 * (m->nbody - 1) +
           (m->nv - 6) + 6 * (m->nbody - 1);
  }

 protected:
  double Progress() const override {
    const mjModel* m = model();
    const mjData* d = data();
    double num = 0.0, mass = 0.0;
    for (int b = 0; b < m->nbody; ++b) {
      num += m->body_mass[b] * d->xipos[3 * b];
      mass += m->body_mass[b];
    }
    return num / mass;
  }
  void WriteObs(float* obs) const override {
    const mjModel* m = model();
    const mjData* d = data();
    WritePositionsVelocities(m, d, o_.exclude_x ? 2 : 0, 0.0, obs);
    float* out = obs + m->nq + m->nv - (o_.exclude_x ? 2 : 0);
    for (int i = 10; i < 10 * m->nbody; ++i) *out++ = static_cast<float>(d->cinert[i]);
    for (int i = 6; i < 6 * m->nbody; ++i) *out++ = static_cast<float>(d->cvel[i]);
    for (int i = 6; i < m->nv; ++i) *out++ = static_cast<float>(d->qfrc_actuator[i]);
    for (int i = 6; i < 6 * m->nbody; ++i) *out++ = static_cast<float>(d->cfrc_ext[i]);
  }
  StepResult Reward(double x_before, const float* action) const override {
    const mjData* d = data();
    const double x_velocity = (Progress() - x_before) / dt();
    double contact = 0.0;
    for (int i = 0; i < 6 * model()->nbody; ++i) contact += d->cfrc_ext[i] * d->cfrc_ext[i];
    contact = std::min(contact_cost_weight_ * contact, 10.0);
    const bool healthy = qpos()[2] > 1.0 && qpos()[2] < 2.0;
    StepResult r;
    r.reward = o_.forward_reward_weight * x_velocity + (healthy ? o_.healthy_reward : 0.0) -
               ControlCost(action, o_.ctrl_cost_weight) - contact;
    r.terminated = !healthy && o_.terminate_when_unhealthy;
    return r;
  }

 private:
  CommonOptions o_;
  double contact_cost_weight_;
};

// HumanoidStandup-v5: the Humanoid's body and observation, lying on the floor at reset
// (humanoidstandup.xml); reward qpos_z / timestep (Gymnasium's v5 leaves its
// uph_cost_weight unused, and so does Fleet) - 0.1 |action|^2 - min(5e-7 sum(cfrc_ext^2),
// 10) + 1; never terminates.
class HumanoidStandup : public Humanoid {
 public:
  HumanoidStandup(std::shared_ptr<const mjModel> m, CommonOptions o, double impact_cost_weight,
                  double impact_cost_max)
      : Humanoid(m, o, 0.0, "HumanoidStandup-v5"),
        ctrl_cost_weight_(o.ctrl_cost_weight),
        impact_cost_weight_(impact_cost_weight),
        impact_cost_max_(impact_cost_max) {}

 protected:
  StepResult Reward(double, const float* action) const override {
    const mjData* d = data();
    double impact = 0.0;
    for (int i = 0; i < 6 * model()->nbody; ++i) impact += d->cfrc_ext[i] * d->cfrc_ext[i];
    impact = std::min(impact_cost_weight_ * impact, impact_cost_max_);
    StepResult r;
    r.reward = qpos()[2] / model()->opt.timestep - ControlCost(action, ctrl_cost_weight_) - impact + 1.0;
    return r;
  }

 private:
  double ctrl_cost_weight_, impact_cost_weight_, impact_cost_max_;
};

StatusOr<std::unique_ptr<Env>> MakeHumanoidStandup(EnvOptions& options) {
  CommonOptions o;
  o.ctrl_cost_weight = 0.1;
  o.reset_noise_scale = 1e-2;
  FLEET_RETURN_IF_ERROR(ReadCommon(options, o, /*healthy=*/false));
  FLEET_ASSIGN_OR_RETURN(double impact_w, options.GetDouble("impact_cost_weight", 0.5e-6));
  FLEET_ASSIGN_OR_RETURN(double impact_max, options.GetDouble("impact_cost_max", 10.0));
  FLEET_ASSIGN_OR_RETURN(auto model, LoadMujocoModel("humanoidstandup.xml"));
  return std::unique_ptr<Env>(new HumanoidStandup(model, o, impact_w, impact_max));
}

StatusOr<std::unique_ptr<Env>> MakeHumanoid(EnvOptions& options) {
  CommonOptions o;
  o.forward_reward_weight = 1.25;
  o.ctrl_cost_weight = 0.1;
  o.healthy_reward = 5.0;
  o.reset_noise_scale = 1e-2;
  FLEET_RETURN_IF_ERROR(ReadCommon(options, o, /*healthy=*/true));
  FLEET_ASSIGN_OR_RETURN(double contact_w, options.GetDouble("contact_cost_weight", 5e-7));
  FLEET_ASSIGN_OR_RETURN(auto model, LoadMujocoModel("humanoid.xml"));
  return std::unique_ptr<Env>(new Humanoid(model, o, contact_w));
}

StatusOr<std::unique_ptr<Env>> MakeSwimmer(EnvOptions& options) {
  CommonOptions o;
  o.ctrl_cost_weight = 1e-4;
  o.reset_noise_scale = 0.1;
  FLEET_RETURN_IF_ERROR(ReadCommon(options, o, /*healthy=*/false));
  FLEET_ASSIGN_OR_RETURN(auto model, LoadMujocoModel("swimmer.xml"));
  return std::unique_ptr<Env>(new ForwardRunner(model, o, {"Swimmer-v5", 2, 4, false, 360.0}));
}

StatusOr<std::unique_ptr<Env>> MakeInvertedPendulum(EnvOptions& options) {
  FLEET_ASSIGN_OR_RETURN(double noise, options.GetDouble("reset_noise_scale", 0.01));
  FLEET_ASSIGN_OR_RETURN(auto model, LoadMujocoModel("inverted_pendulum.xml"));
  return std::unique_ptr<Env>(new InvertedPendulum(model, noise));
}

StatusOr<std::unique_ptr<Env>> MakeHalfCheetah(EnvOptions& options) {
  CommonOptions o;
  o.ctrl_cost_weight = 0.1;
  o.reset_noise_scale = 0.1;
  FLEET_RETURN_IF_ERROR(ReadCommon(options, o, /*healthy=*/false));
  FLEET_ASSIGN_OR_RETURN(auto model, LoadMujocoModel("half_cheetah.xml"));
  return std::unique_ptr<Env>(new ForwardRunner(model, o, {"HalfCheetah-v5", 1, 5, true, 4800.0}));
}

StatusOr<std::unique_ptr<Env>> MakeHopper(EnvOptions& options) {
  CommonOptions o;
  o.ctrl_cost_weight = 1e-3;
  o.reset_noise_scale = 5e-3;
  FLEET_RETURN_IF_ERROR(ReadCommon(options, o, /*healthy=*/true));
  FLEET_ASSIGN_OR_RETURN(auto model, LoadMujocoModel("hopper.xml"));
  const double inf = std::numeric_limits<double>::infinity();
  return std::unique_ptr<Env>(
      new Walker("Hopper-v5", model, o, {0.7, inf, -0.2, 0.2, true}, 3800.0));
}

StatusOr<std::unique_ptr<Env>> MakeWalker2d(EnvOptions& options) {
  CommonOptions o;
  o.ctrl_cost_weight = 1e-3;
  o.reset_noise_scale = 5e-3;
  FLEET_RETURN_IF_ERROR(ReadCommon(options, o, /*healthy=*/true));
  FLEET_ASSIGN_OR_RETURN(auto model, LoadMujocoModel("walker2d.xml"));
  return std::unique_ptr<Env>(
      new Walker("Walker2d-v5", model, o, {0.8, 2.0, -1.0, 1.0, false}, std::nullopt));
}

}  // namespace

void RegisterMujocoEnvs() {
  RegisterEnv("HalfCheetah-v5", MakeHalfCheetah);
  RegisterEnv("Hopper-v5", MakeHopper);
  RegisterEnv("Walker2d-v5", MakeWalker2d);
  RegisterEnv("Swimmer-v5", MakeSwimmer);
  RegisterEnv("Ant-v5", MakeAnt);
  RegisterEnv("Humanoid-v5", MakeHumanoid);
  RegisterEnv("InvertedPendulum-v5", MakeInvertedPendulum);
  RegisterEnv("HumanoidStandup-v5", MakeHumanoidStandup);
  RegisterMujocoControlEnvs();
}

}  // namespace fleet::envs
