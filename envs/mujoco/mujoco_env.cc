#include "envs/mujoco/mujoco_env.h"

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <string_view>
#include <utility>

#include <mujoco/mujoco.h>
#include <mujoco/mjxmacro.h>

namespace fleet::envs {

// generated from envs/mujoco/assets/*.xml by CMake (mjcf_assets.cc).
const char* FindEmbeddedMjcf(const std::string& name);

StatusOr<std::shared_ptr<const mjModel>> LoadMujocoModel(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const mjModel>> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  const char* xml = FindEmbeddedMjcf(name);
  if (!xml) return NotFoundError("no embedded MJCF model '" + name + "'");
  auto vfs = std::make_unique<mjVFS>();
  mj_defaultVFS(vfs.get());
  const int size = static_cast<int>(std::strlen(xml));
  if (mj_makeEmptyFileVFS(vfs.get(), name.c_str(), size) != 0) {
    return InternalError("cannot add '" + name + "' to MuJoCo's virtual file system");
  }
  const int idx = mj_findFileVFS(vfs.get(), name.c_str());
  std::memcpy(vfs->filedata[idx], xml, size);
  char error[1000] = "";
  mjModel* m = mj_loadXML(name.c_str(), vfs.get(), error, sizeof(error));
  mj_deleteVFS(vfs.get());
  if (!m) return InternalError("MuJoCo cannot load '" + name + "': " + error);
  std::shared_ptr<const mjModel> model(m, [](const mjModel* p) {
    mj_deleteModel(const_cast<mjModel*>(p));
  });
  cache[name] = model;
  return model;
}

MujocoEnv::MujocoEnv(EnvSpec spec, std::shared_ptr<const mjModel> model, int frame_skip,
                     double reset_noise_scale)
    : Env(std::move(spec)),
      reset_noise_scale_(reset_noise_scale),
      model_(std::move(model)),
      data_(mj_makeData(model_.get())),
      frame_skip_(frame_skip),
      rng_(0) {
  SnapshotResetState();  // mj_makeData leaves the data reset
}

// MuJoCo 2.2's mj_resetData zeroes the whole mjData buffer, and most of it is the contact
// and constraint workspace sized for the model's maxima (efc_AR alone is njmax^2 doubles:
// 3 MB of the buffer on InvertedPendulum), ~40 us per reset, which dominated envs with
// short episodes. A reset restores instead what mj_resetData leaves in everything else
// (state, controls, applied forces, mocap, user data, every quantity mj_forward derives,
// the info header with time, counters and warnings, and efc_force, from which the PGS
// solver warm starts) from a snapshot of a reset mjData. The contact array and the other
// efc_* arrays are left as they are: mj_forward rebuilds the entries it then reads (ncon
// contacts, nefc constraint rows) before reading them. Tested to give the same data and
// episodes as a fresh env (tests/envs/mujoco_test.cc).
void MujocoEnv::SnapshotResetState() {
  const mjModel* m = model_.get();
  mjData* d = data_;
  const size_t header = offsetof(mjData, buffer);
  reset_bytes_.assign(reinterpret_cast<const char*>(d), reinterpret_cast<const char*>(d) + header);
  reset_spans_.clear();
  MJDATA_POINTERS_PREAMBLE(m)
  (void)nv;
  (void)njmax;
  auto keep = [&](const char* name, const void* p, size_t bytes) {
    const std::string_view n(name);
    // efc_force stays: with the PGS solver (Humanoid, HumanoidStandup) MuJoCo 2.2 warm
    // starts from it, so a reset must zero it as mj_resetData does
    if (n == "contact" || (n.starts_with("efc_") && n != "efc_force") || bytes == 0) return;
    const size_t offset = static_cast<const char*>(p) - static_cast<const char*>(d->buffer);
    reset_spans_.emplace_back(offset, bytes);
    reset_bytes_.insert(reset_bytes_.end(), static_cast<const char*>(p),
                        static_cast<const char*>(p) + bytes);
  };
#define X(type, name, nr, nc) keep(#name, d->name, sizeof(type) * static_cast<size_t>(m->nr) * (nc));
  MJDATA_POINTERS
#undef X
}

void MujocoEnv::RestoreResetState() {
  const size_t header = offsetof(mjData, buffer);
  std::memcpy(static_cast<void*>(data_), reset_bytes_.data(), header);
  const char* from = reset_bytes_.data() + header;
  char* buffer = static_cast<char*>(data_->buffer);
  for (const auto& [offset, bytes] : reset_spans_) {
    std::memcpy(buffer + offset, from, bytes);
    from += bytes;
  }
}

MujocoEnv::~MujocoEnv() { mj_deleteData(data_); }

int MujocoEnv::nq() const { return model_->nq; }
int MujocoEnv::nv() const { return model_->nv; }
double MujocoEnv::dt() const { return model_->opt.timestep * frame_skip_; }
const double* MujocoEnv::qpos() const { return data_->qpos; }
const double* MujocoEnv::qvel() const { return data_->qvel; }

Status MujocoEnv::SetState(std::span<const double> qpos, std::span<const double> qvel) {
  if (static_cast<int>(qpos.size()) != nq() || static_cast<int>(qvel.size()) != nv()) {
    return InvalidArgumentError(spec_.id + ": set_state needs qpos of " + std::to_string(nq()) +
                                " and qvel of " + std::to_string(nv()) + " values, got " +
                                std::to_string(qpos.size()) + " and " +
                                std::to_string(qvel.size()));
  }
  for (double v : qpos) if (!std::isfinite(v)) return InvalidArgumentError(spec_.id + ": qpos holds a non-finite value");
  for (double v : qvel) if (!std::isfinite(v)) return InvalidArgumentError(spec_.id + ": qvel holds a non-finite value");
  std::copy(qpos.begin(), qpos.end(), data_->qpos);
  std::copy(qvel.begin(), qvel.end(), data_->qvel);
  mj_forward(model_.get(), data_);
  return OkStatus();
}

std::vector<double> MujocoEnv::StateVector() const {
  std::vector<double> s(data_->qpos, data_->qpos + nq());
  s.insert(s.end(), data_->qvel, data_->qvel + nv());
  return s;
}

void MujocoEnv::ResetVelocityNoise(std::mt19937_64& rng, double* qvel) const {
  std::uniform_real_distribution<double> u(-reset_noise_scale_, reset_noise_scale_);
  for (int i = 0; i < nv(); ++i) qvel[i] = u(rng);
}

EnvSpec MujocoSpec(const std::string& id, int obs_dim, const mjModel* m,
                   std::optional<double> threshold, int max_episode_steps) {
  const double inf = std::numeric_limits<double>::infinity();
  EnvSpec spec;
  spec.id = id;
  spec.observation_space =
      Space::Box(std::vector<double>(obs_dim, -inf), std::vector<double>(obs_dim, inf),
                 DType::kFloat64);
  std::vector<double> low(m->nu), high(m->nu);
  for (int i = 0; i < m->nu; ++i) {
    low[i] = m->actuator_ctrlrange[2 * i];
    high[i] = m->actuator_ctrlrange[2 * i + 1];
  }
  spec.action_space = Space::Box(low, high);
  spec.max_episode_steps = max_episode_steps;
  spec.reward_threshold = threshold;
  return spec;
}

void MujocoEnv::ResetState(std::mt19937_64& rng, double* qpos, double* qvel) const {
  std::uniform_real_distribution<double> u(-reset_noise_scale_, reset_noise_scale_);
  for (int i = 0; i < nq(); ++i) qpos[i] += u(rng);
  ResetVelocityNoise(rng, qvel);
}

const double* MujocoEnv::BodyPos(int body) const { return data_->xpos + 3 * body; }

int MujocoEnv::BodyId(const char* name) const {
  const int id = mj_name2id(model_.get(), mjOBJ_BODY, name);
  if (id < 0) {
    std::fprintf(stderr, "fleet: %s's model has no body '%s'\n", spec_.id.c_str(), name);
    std::abort();
  }
  return id;
}

void MujocoEnv::DoReset(std::optional<uint64_t> seed, float* obs) {
  if (seed) rng_.seed(*seed);
  RestoreResetState();  // = mj_resetData but for the contact and constraint workspace
  std::vector<double> qpos(model_->qpos0, model_->qpos0 + nq()), qvel(nv(), 0.0);
  ResetState(rng_, qpos.data(), qvel.data());
  std::copy(qpos.begin(), qpos.end(), data_->qpos);
  std::copy(qvel.begin(), qvel.end(), data_->qvel);
  mj_forward(model_.get(), data_);
  WriteObs(obs);
}

double MujocoEnv::Progress() const { return data_->qpos[0]; }

StepResult MujocoEnv::DoStep(const float* action, float* obs) {
  const double x_before = Progress();
  for (int i = 0; i < model_->nu; ++i) data_->ctrl[i] = action[i];
  for (int k = 0; k < frame_skip_; ++k) mj_step(model_.get(), data_);
  // as of MuJoCo 2.0, cfrc_ext is only filled by this call (Gymnasium makes it too).
  if (contact_forces_) mj_rnePostConstraint(model_.get(), data_);
  WriteObs(obs);
  return Reward(x_before, action);
}

double MujocoEnv::ControlCost(const float* action, double weight) const {
  double sum = 0.0;
  for (int i = 0; i < model_->nu; ++i) sum += static_cast<double>(action[i]) * action[i];
  return weight * sum;
}

}  // namespace fleet::envs
