// MuJoCo locomotion envs after Gymnasium's v5 (gymnasium/envs/mujoco/*_v5.py) on
// Debian's MuJoCo 2.2.2, with Fleet's own MJCF files (envs/mujoco/assets/, compiled into
// the binary). Each model is loaded once per process and shared read-only by every env
// instance (ModelCache); each env owns its mjData.
//
// Step: ctrl = action (MuJoCo clamps it to ctrlrange, the cost uses the unclamped action,
// as in Gymnasium), frame_skip mj_step calls. Reset: qpos0 + U(-s, s) noise, qvel + U(-s, s)
// (HalfCheetah: qvel + s N(0, 1)), with s = reset_noise_scale. Observations are float32
// copies of Gymnasium's float64 ones.
#pragma once

#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "envs/env.h"
#include "envs/registry.h"

struct mjModel_;
struct mjData_;

namespace fleet::envs {

// A model loaded from one of Fleet's embedded MJCF files, shared by all envs of a process.
// Thread-safe; the model is never modified after loading.
StatusOr<std::shared_ptr<const mjModel_>> LoadMujocoModel(const std::string& name);

// Observations unbounded float64 (obs_dim values); actions the actuators' ctrlrange, as
// Gymnasium declares them.
EnvSpec MujocoSpec(const std::string& id, int obs_dim, const mjModel_* m,
                   std::optional<double> threshold, int max_episode_steps);

class MujocoEnv : public Env {
 public:
  ~MujocoEnv() override;

  // Gymnasium's set_state(qpos, qvel): InvalidArgument on wrong sizes or non-finite values.
  Status SetState(std::span<const double> qpos, std::span<const double> qvel);
  // (qpos, qvel) concatenated, as Gymnasium's state_vector().
  std::vector<double> StateVector() const;
  int nq() const;
  int nv() const;
  double dt() const;  // timestep x frame_skip
  const mjModel_* model() const { return model_.get(); }
  mjData_* data() { return data_; }
  const mjData_* data() const { return data_; }
  int frame_skip() const { return frame_skip_; }

 protected:
  MujocoEnv(EnvSpec spec, std::shared_ptr<const mjModel_> model, int frame_skip,
            double reset_noise_scale);

  void DoReset(std::optional<uint64_t> seed, float* obs) override;
  StepResult DoStep(const float* action, float* obs) override;

  // what each model adds: the observation and the step's reward and termination, given
  // Progress() before the step.
  virtual void WriteObs(float* obs) const = 0;
  virtual StepResult Reward(double x_before, const float* action) const = 0;
  // the coordinate whose change is the forward reward: qpos[0] unless overridden.
  virtual double Progress() const;
  // noise for qvel at reset; HalfCheetah overrides (normal instead of uniform).
  virtual void ResetVelocityNoise(std::mt19937_64& rng, double* qvel) const;
  // the state a reset starts from, given qpos0 and zero qvel: by default qpos + U(-s, s)
  // and ResetVelocityNoise; envs that place a target (Reacher, Pusher) override.
  virtual void ResetState(std::mt19937_64& rng, double* qpos, double* qvel) const;
  // the world position of a body's frame (Gymnasium's get_body_com), by body index.
  const double* BodyPos(int body) const;
  // a body's index by name; the models are Fleet's own, so a missing name is a bug.
  int BodyId(const char* name) const;

  const double* qpos() const;
  const double* qvel() const;
  double ControlCost(const float* action, double weight) const;

  double reset_noise_scale_;
  // run mj_rnePostConstraint after stepping, for envs that observe cfrc_ext (Ant).
  bool contact_forces_ = false;

 private:
  // mj_resetData without its cost: see RestoreResetState in mujoco_env.cc.
  void SnapshotResetState();
  void RestoreResetState();

  std::shared_ptr<const mjModel_> model_;
  mjData_* data_ = nullptr;
  std::vector<char> reset_bytes_;  // the reset mjData's info header, then its arrays
  std::vector<std::pair<size_t, size_t>> reset_spans_;  // (offset in the buffer, bytes)
  int frame_skip_;
  std::mt19937_64 rng_;
};

// every MuJoCo env: the locomotion set (locomotion.cc) and InvertedDoublePendulum,
// Reacher and Pusher (control.cc).
void RegisterMujocoEnvs();
void RegisterMujocoControlEnvs();

}  // namespace fleet::envs
