// Env steps/s on one core for every registered env: one env, and a VectorEnv of 8,
// with uniformly random valid actions and resets on episode end; in the same run, the
// raw physics: LunarLander against bare b2World::Step on identical episodes, MuJoCo envs
// against frame_skip x mj_step on their own model (RawMujoco/<id>).
#include <random>
#include <vector>

#include <benchmark/benchmark.h>
#include <box2d/box2d.h>

#include <mujoco/mujoco.h>

#include "envs/box2d/bipedal_walker.h"
#include "envs/box2d/lunar_lander.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"
#include "envs/vector_env.h"

namespace {

using fleet::envs::Env;

void RandomAction(const fleet::envs::Space& as, std::mt19937_64& rng, float* out) {
  if (as.is_discrete()) {
    out[0] = static_cast<float>(rng() % as.n);
    return;
  }
  for (int i = 0; i < as.FlatDim(); ++i) {
    out[i] = std::uniform_real_distribution<float>(static_cast<float>(as.low[i]),
                                                   static_cast<float>(as.high[i]))(rng);
  }
}

void BM_Single(benchmark::State& state, std::string id) {
  auto env = std::move(fleet::envs::MakeEnv(id)).value();
  std::vector<float> obs(env->obs_dim()), act(env->action_width());
  std::mt19937_64 rng(1);
  env->Reset(0, obs);
  for (auto _ : state) {
    RandomAction(env->spec().action_space, rng, act.data());
    auto r = env->Step(act, obs);
    if (r->terminated || r->truncated) env->Reset(std::nullopt, obs);
  }
  state.counters["steps/s"] = benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
}

void BM_Vector8(benchmark::State& state, std::string id, int threads) {
  const int n = 8;
  auto vec = std::move(fleet::envs::VectorEnv::Create(id, n, {}, threads)).value();
  std::vector<float> obs(n * vec->obs_dim()), act(n * vec->action_width()), rew(n);
  std::vector<uint8_t> term(n), trunc(n);
  fleet::envs::VectorStepOutput out;
  std::mt19937_64 rng(1);
  vec->Reset(0, obs);
  for (auto _ : state) {
    for (int i = 0; i < n; ++i) {
      RandomAction(vec->spec().action_space, rng, act.data() + i * vec->action_width());
    }
    benchmark::DoNotOptimize(vec->Step(act, obs, rew, term, trunc, out));
  }
  state.counters["steps/s"] =
      benchmark::Counter(state.iterations() * n, benchmark::Counter::kIsRate);
}

// Fleet's LunarLander against raw Box2D on the same physics: no-op episodes (free fall
// from the seeded push to the crash), seeds 0, 1, 2, ... The env variant times
// env->Step; the raw variant replays each episode's length as bare b2World::Step calls
// (1/50 s, 180 velocity and 60 position iterations, as the env does) on the same world.
int NoopEpisodeLength(Env& env, uint64_t seed, std::vector<float>& obs) {
  const float noop[1] = {0.0f};
  env.Reset(seed, obs);
  for (int n = 1;; ++n) {
    auto r = env.Step(noop, obs);
    if (r->terminated || r->truncated) return n;
  }
}

void BM_LunarLanderNoopEnv(benchmark::State& state) {
  auto env = std::move(fleet::envs::MakeEnv("LunarLander-v3")).value();
  std::vector<float> obs(8);
  const float noop[1] = {0.0f};
  uint64_t seed = 0;
  int64_t steps = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const int len = NoopEpisodeLength(*env, seed, obs);
    env->Reset(seed++, obs);
    state.ResumeTiming();
    for (int i = 0; i < len; ++i) benchmark::DoNotOptimize(env->Step(noop, obs));
    steps += len;
  }
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LunarLanderNoopEnv);

void BM_LunarLanderNoopRawBox2d(benchmark::State& state) {
  auto env = std::move(fleet::envs::MakeEnv("LunarLander-v3")).value();
  auto* ll = static_cast<fleet::envs::LunarLander*>(env.get());
  std::vector<float> obs(8);
  uint64_t seed = 0;
  int64_t steps = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const int len = NoopEpisodeLength(*env, seed, obs);
    ll->Reset(seed++, obs);
    state.ResumeTiming();
    for (int i = 0; i < len; ++i) ll->world()->Step(1.0f / 50, 6 * 30, 2 * 30);
    steps += len;
  }
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LunarLanderNoopRawBox2d);

// BipedalWalker the same way: zero-torque episodes capped at 300 steps (the walker
// slumps and stays), env->Step against bare b2World::Step on the same worlds. The env
// step adds its 10 lidar ray casts and the observation.
constexpr int kWalkerSteps = 300;
void BM_BipedalWalkerZeroEnv(benchmark::State& state) {
  auto env = std::move(fleet::envs::MakeEnv("BipedalWalker-v3")).value();
  std::vector<float> obs(24);
  const float zero[4] = {0, 0, 0, 0};
  uint64_t seed = 0;
  int64_t steps = 0;
  for (auto _ : state) {
    state.PauseTiming();
    env->Reset(seed++, obs);
    state.ResumeTiming();
    for (int i = 0; i < kWalkerSteps; ++i) {
      auto r = env->Step(zero, obs);
      ++steps;
      if (r->terminated || r->truncated) break;
    }
  }
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BipedalWalkerZeroEnv);

void BM_BipedalWalkerZeroRawBox2d(benchmark::State& state) {
  auto env = std::move(fleet::envs::MakeEnv("BipedalWalker-v3")).value();
  auto* bw = static_cast<fleet::envs::BipedalWalker*>(env.get());
  std::vector<float> obs(24);
  const float zero[4] = {0, 0, 0, 0};
  uint64_t seed = 0;
  int64_t steps = 0;
  for (auto _ : state) {
    state.PauseTiming();
    env->Reset(seed, obs);  // the episode's length with the env, untimed
    int len = 0;
    while (len < kWalkerSteps) {
      auto r = env->Step(zero, obs);
      ++len;
      if (r->terminated || r->truncated) break;
    }
    env->Reset(seed++, obs);
    state.ResumeTiming();
    for (int i = 0; i < len; ++i) bw->world()->Step(1.0f / 50, 6 * 30, 2 * 30);
    steps += len;
  }
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BipedalWalkerZeroRawBox2d);

// raw MuJoCo for a MuJoCo env: random controls, frame_skip x mj_step on the env's own
// model and data, nothing else (no observation, reward or reset), next to Single/<id>.
void BM_MujocoRaw(benchmark::State& state, std::string id) {
  auto env = std::move(fleet::envs::MakeEnv(id)).value();
  auto* mj = static_cast<fleet::envs::MujocoEnv*>(env.get());
  std::vector<float> obs(env->obs_dim());
  env->Reset(0, obs);
  const mjModel* m = mj->model();
  mjData* d = mj->data();
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  int64_t steps = 0;
  for (auto _ : state) {
    for (int i = 0; i < m->nu; ++i) d->ctrl[i] = u(rng);
    for (int k = 0; k < mj->frame_skip(); ++k) mj_step(m, d);
    if (++steps % 1000 == 0) {  // same episode length as the env's time limit
      state.PauseTiming();
      env->Reset(steps, obs);
      state.ResumeTiming();
    }
  }
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
}

const bool registered = [] {
  for (const auto& id : fleet::envs::RegisteredIds()) {
    benchmark::RegisterBenchmark(("Single/" + id).c_str(), BM_Single, id);
    benchmark::RegisterBenchmark(("Vector8/" + id).c_str(), BM_Vector8, id, 1);
    benchmark::RegisterBenchmark(("Vector8x2threads/" + id).c_str(), BM_Vector8, id, 2)->UseRealTime();
    auto env = fleet::envs::MakeEnv(id);
    if (env.ok() && dynamic_cast<fleet::envs::MujocoEnv*>(env->get())) {
      benchmark::RegisterBenchmark(("RawMujoco/" + id).c_str(), BM_MujocoRaw, id);
    }
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
