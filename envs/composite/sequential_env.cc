#include "envs/composite/sequential_env.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace fleet::envs {
namespace {

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    out.push_back(b == std::string::npos ? "" : item.substr(b, e - b + 1));
  }
  return out;
}

// Sequential-v0 without options (what tools that make every env with its defaults get):
// two classic goal tasks, the car up the hill, then the acrobot's swing-up.
constexpr const char* kDefaultSequence = "MountainCar-v0,Acrobot-v1";

int ActionWidthOf(const Space& s) { return s.is_discrete() ? static_cast<int>(s.n) : s.FlatDim(); }

// the options every composite takes, `start_phase` (checked before it is narrowed to
// int) and `clear_bonus`, then Create
StatusOr<std::unique_ptr<Env>> CreateWithStartPhase(const std::string& id, std::vector<PhaseSpec> phases,
                                                    EnvOptions& options) {
  FLEET_ASSIGN_OR_RETURN(const double bonus, options.GetDouble("clear_bonus", 0.0));
  if (!(bonus >= 0.0 && bonus <= 1e6)) {
    return InvalidArgumentError(id + ": clear_bonus must be a number in [0, 1e6]");
  }
  for (PhaseSpec& p : phases) p.clear_bonus = bonus;
  FLEET_ASSIGN_OR_RETURN(const int64_t start, options.GetInt("start_phase", 0));
  if (start < 0 || start >= static_cast<int64_t>(phases.size())) {
    return InvalidArgumentError(id + ": start_phase " + std::to_string(start) + " is not one of the " +
                                std::to_string(phases.size()) + " phases (0-based)");
  }
  FLEET_ASSIGN_OR_RETURN(auto env, SequentialEnv::Create(id, std::move(phases), static_cast<int>(start)));
  return std::unique_ptr<Env>(std::move(env));
}

}  // namespace

StatusOr<std::unique_ptr<SequentialEnv>> SequentialEnv::Create(const std::string& id,
                                                               std::vector<PhaseSpec> specs,
                                                               int start_phase) {
  if (specs.empty()) return InvalidArgumentError(id + ": a composite env needs at least one phase");
  if (start_phase < 0 || start_phase >= static_cast<int>(specs.size())) {
    return InvalidArgumentError(id + ": start_phase " + std::to_string(start_phase) + " is not one of the " +
                                std::to_string(specs.size()) + " phases (0-based)");
  }
  std::vector<Phase> phases;
  int max_obs = 0, width = 0, total_steps = 0;
  double reward_min = 0, reward_max = 0;
  for (size_t p = 0; p < specs.size(); ++p) {
    PhaseSpec& s = specs[p];
    const std::string where = id + ": phase " + std::to_string(p) + " (" + s.env_id + ")";
    if (s.env_id == id) return InvalidArgumentError(where + " is the composite itself");
    auto env = MakeEnv(s.env_id);
    if (!env.ok()) return InvalidArgumentError(where + ": " + env.status().message());
    const EnvSpec& es = (*env)->spec();
    if (es.observation_space.is_discrete() || es.observation_space.dtype != DType::kFloat32) {
      return InvalidArgumentError(where + ": only float32 Box observations can be composed");
    }
    if (es.max_episode_steps <= 0) {
      return InvalidArgumentError(where + ": the env has no step limit (a phase needs one)");
    }
    if (s.survive_steps < 0) return InvalidArgumentError(where + ": survive_steps must be >= 0");
    if (s.survive_steps == 0 && dynamic_cast<TaskOutcome*>(env->get()) == nullptr) {
      return InvalidArgumentError(where + ": the env has no goal to clear the phase with; give "
                                  "it survive_steps (cleared after that many steps)");
    }
    if (!(s.reward_scale > 0)) return InvalidArgumentError(where + ": reward_scale must be > 0");
    if (!(s.clear_bonus >= 0)) return InvalidArgumentError(where + ": clear_bonus must be >= 0");
    if (s.name.empty()) s.name = s.env_id;
    const int limit = s.survive_steps > 0 ? std::min(s.survive_steps, es.max_episode_steps)
                                          : es.max_episode_steps;
    max_obs = std::max(max_obs, (*env)->obs_dim());
    width = std::max(width, ActionWidthOf(es.action_space));
    if (static_cast<int>(p) >= start_phase) total_steps += limit;
    reward_min = p == 0 ? es.reward_min / s.reward_scale
                        : std::min(reward_min, es.reward_min / s.reward_scale);
    reward_max = p == 0 ? es.reward_max / s.reward_scale + s.clear_bonus
                        : std::max(reward_max, es.reward_max / s.reward_scale + s.clear_bonus);
    phases.push_back({s, std::move(*env), limit});
  }
  const int n = static_cast<int>(phases.size());
  // observation bounds: one-hot and timer in [0, 1]; the padded part the widest of the
  // phases' bounds, with 0 (the padding) inside
  std::vector<double> olow(n + 1 + max_obs, 0.0), ohigh(n + 1 + max_obs, 1.0);
  for (int j = 0; j < max_obs; ++j) {
    olow[n + 1 + j] = 0.0;
    ohigh[n + 1 + j] = 0.0;
  }
  std::vector<double> alow(width, 0.0), ahigh(width, 0.0);
  std::vector<bool> abox(width, false);
  for (const Phase& ph : phases) {
    const Space& os = ph.env->spec().observation_space;
    for (int j = 0; j < os.FlatDim(); ++j) {
      olow[n + 1 + j] = std::min(olow[n + 1 + j], os.low[j]);
      ohigh[n + 1 + j] = std::max(ohigh[n + 1 + j], os.high[j]);
    }
    const Space& as = ph.env->spec().action_space;
    if (as.is_discrete()) continue;
    for (int j = 0; j < as.FlatDim(); ++j) {
      alow[j] = abox[j] ? std::min(alow[j], as.low[j]) : as.low[j];
      ahigh[j] = abox[j] ? std::max(ahigh[j], as.high[j]) : as.high[j];
      abox[j] = true;
    }
  }
  for (int j = 0; j < width; ++j) {
    if (!abox[j]) {
      alow[j] = -1.0;
      ahigh[j] = 1.0;
    }
  }
  EnvSpec spec;
  spec.id = id;
  spec.observation_space = Space::Box(std::move(olow), std::move(ohigh));
  spec.action_space = Space::Box(std::move(alow), std::move(ahigh));
  spec.max_episode_steps = total_steps;
  spec.reward_min = reward_min;
  spec.reward_max = reward_max;
  return std::unique_ptr<SequentialEnv>(
      new SequentialEnv(std::move(spec), std::move(phases), max_obs, start_phase));
}

SequentialEnv::SequentialEnv(EnvSpec spec, std::vector<Phase> phases, int max_obs, int start_phase)
    : Env(std::move(spec)), phases_(std::move(phases)), max_obs_(max_obs), start_phase_(start_phase), rng_(0) {
  sub_obs_.resize(max_obs_);
  int w = 0;
  for (const Phase& ph : phases_) w = std::max(w, ph.env->action_width());
  sub_action_.resize(w);
  current_.phases.resize(phases_.size());
  last_.phases.resize(phases_.size());
}

StatusOr<std::unique_ptr<Env>> SequentialEnv::FromOptions(EnvOptions& options) {
  const std::vector<std::string> ids = SplitCommas(options.GetString("envs", kDefaultSequence));
  if (ids.empty() || (ids.size() == 1 && ids[0].empty())) {
    return InvalidArgumentError("Sequential-v0: option 'envs' (comma-separated env ids) is empty");
  }
  const std::string survive = options.GetString("survive_steps", "");
  const std::string scales = options.GetString("reward_scales", "");
  const std::vector<std::string> sv = survive.empty() ? std::vector<std::string>() : SplitCommas(survive);
  const std::vector<std::string> sc = scales.empty() ? std::vector<std::string>() : SplitCommas(scales);
  if (!sv.empty() && sv.size() != ids.size()) {
    return InvalidArgumentError("Sequential-v0: 'survive_steps' has " + std::to_string(sv.size()) +
                                " values for " + std::to_string(ids.size()) + " envs");
  }
  if (!sc.empty() && sc.size() != ids.size()) {
    return InvalidArgumentError("Sequential-v0: 'reward_scales' has " + std::to_string(sc.size()) +
                                " values for " + std::to_string(ids.size()) + " envs");
  }
  std::vector<PhaseSpec> phases;
  for (size_t i = 0; i < ids.size(); ++i) {
    PhaseSpec p;
    p.env_id = ids[i];
    if (!sv.empty()) {
      char* end = nullptr;
      const long v = std::strtol(sv[i].c_str(), &end, 10);
      if (sv[i].empty() || *end != '\0' || v < 0 || v > 1000000000) {
        return InvalidArgumentError("Sequential-v0: survive_steps '" + sv[i] +
                                    "' is not an integer in [0, 1e9]");
      }
      p.survive_steps = static_cast<int>(v);
    }
    if (!sc.empty()) {
      char* end = nullptr;
      p.reward_scale = std::strtod(sc[i].c_str(), &end);
      if (sc[i].empty() || *end != '\0') {
        return InvalidArgumentError("Sequential-v0: reward_scale '" + sc[i] + "' is not a number");
      }
    } else {
      auto spec = GetSpec(ids[i]);
      p.reward_scale = spec.ok() && spec->reward_threshold && *spec->reward_threshold != 0
                           ? std::abs(*spec->reward_threshold)
                           : 1.0;
    }
    phases.push_back(std::move(p));
  }
  return CreateWithStartPhase("Sequential-v0", std::move(phases), options);
}

StatusOr<std::vector<PhaseSpec>> SequentialEnv::EndgamePhases(EnvOptions& options) {
  FLEET_ASSIGN_OR_RETURN(const int64_t balance, options.GetInt("balance_steps", 200));
  if (balance < 1 || balance > 500) {
    return InvalidArgumentError("Endgame-v0: balance_steps must be in [1, 500] (CartPole-v1's limit)");
  }
  // reward scales: the return that solves each phase (CartPole: +1 per balanced step;
  // the others: Gymnasium's reward_threshold of the env: 300, 90, 200)
  return std::vector<PhaseSpec>{
      {"CartPole-v1", static_cast<int>(balance), static_cast<double>(balance), "balance"},
      {"BipedalWalker-v3", 0, 300.0, "bridge"},
      {"MountainCarContinuous-v0", 0, 90.0, "gap"},
      {"LunarLanderContinuous-v3", 0, 200.0, "landing"}};
}

int SequentialEnv::PhaseOf(const float* obs, int num_phases) {
  for (int p = 0; p < num_phases; ++p) {
    if (obs[p] > 0.5f) return p;
  }
  return -1;
}

void SequentialEnv::EncodeAction(int p, const float* phase_action, float* action) const {
  const Space& as = phases_[p].env->spec().action_space;
  const int w = action_width();
  if (as.is_discrete()) {
    std::fill(action, action + w, -1.0f);
    action[static_cast<int>(phase_action[0]) - as.start] = 1.0f;
  } else {
    std::fill(action, action + w, 0.0f);
    std::copy(phase_action, phase_action + as.FlatDim(), action);
  }
}

void SequentialEnv::StartPhase(int p) {
  phase_ = p;
  phase_steps_ = 0;
  Phase& ph = phases_[p];
  std::fill(sub_obs_.begin(), sub_obs_.end(), 0.0f);
  ph.env->Reset(rng_(), std::span<float>(sub_obs_.data(), ph.env->obs_dim()));
}

void SequentialEnv::WriteObs(float* obs) const {
  const int n = num_phases();
  for (int p = 0; p < n; ++p) obs[p] = p == phase_ ? 1.0f : 0.0f;
  obs[n] = static_cast<float>(phase_steps_) / static_cast<float>(phases_[phase_].limit);
  std::copy(sub_obs_.begin(), sub_obs_.end(), obs + n + 1);
}

void SequentialEnv::DoReset(std::optional<uint64_t> seed, float* obs) {
  if (seed) rng_.seed(*seed);
  goal_reached_ = false;
  current_ = CompositeEpisode();
  current_.phases.resize(phases_.size());
  StartPhase(start_phase_);
  WriteObs(obs);
}

StepResult SequentialEnv::DoStep(const float* action, float* obs) {
  Phase& ph = phases_[phase_];
  const Space& as = ph.env->spec().action_space;
  const int aw = ph.env->action_width();
  if (as.is_discrete()) {
    const int n = static_cast<int>(as.n);
    sub_action_[0] = static_cast<float>(as.start + (std::max_element(action, action + n) - action));
  } else {
    std::copy(action, action + aw, sub_action_.begin());
    for (int j = 0; j < aw; ++j) {
      const double a = std::clamp(static_cast<double>(action[j]), as.low[j], as.high[j]);
      current_.phases[phase_].control_effort += a * a;
    }
  }
  auto r = ph.env->Step(std::span<const float>(sub_action_.data(), aw),
                        std::span<float>(sub_obs_.data(), ph.env->obs_dim()));
  if (!r.ok()) {
    // cannot happen: the composite's action was checked finite and of the right width,
    // and the decoded action is always in the phase's space
    std::fprintf(stderr, "%s: phase %d (%s) refused its action: %s\n", spec_.id.c_str(), phase_,
                 ph.spec.env_id.c_str(), r.status().ToString().c_str());
    std::abort();
  }
  ++phase_steps_;
  StepResult out;
  out.reward = r->reward / ph.spec.reward_scale;
  CompositeEpisode::Phase& rec = current_.phases[phase_];
  rec.reward += out.reward;
  rec.raw_reward += r->reward;
  rec.steps = phase_steps_;
  const auto* outcome = dynamic_cast<const TaskOutcome*>(ph.env.get());
  const bool cleared = ph.spec.survive_steps > 0
                           ? !r->terminated && phase_steps_ >= ph.limit
                           : r->terminated && outcome->goal_reached();
  if (cleared) {
    out.reward += ph.spec.clear_bonus;
    rec.reward += ph.spec.clear_bonus;
    rec.cleared = true;
    ++current_.phases_cleared;
    if (phase_ + 1 < num_phases()) {
      StartPhase(phase_ + 1);
    } else {
      out.terminated = true;
      goal_reached_ = true;
      current_.success = true;
    }
  } else if (r->terminated || r->truncated) {
    // a fall, a crash, or the phase out of time: the episode fails. The phase timer is in
    // the observation, so running out of it is part of the task, not an outside cut.
    out.terminated = true;
  }
  current_.ended = out.terminated || out.truncated;
  if (current_.ended) last_ = current_;
  WriteObs(obs);
  return out;
}

void RegisterCompositeEnvs() {
  RegisterEnv("Sequential-v0", SequentialEnv::FromOptions);
  RegisterEnv("Endgame-v0", [](EnvOptions& options) -> StatusOr<std::unique_ptr<Env>> {
    FLEET_ASSIGN_OR_RETURN(auto phases, SequentialEnv::EndgamePhases(options));
    return CreateWithStartPhase("Endgame-v0", std::move(phases), options);
  });
}

}  // namespace fleet::envs
