// PPO update throughput (samples/s) of fleet_ppo on synthetic CartPole-shaped rollouts:
// the same network, batch and epochs as configs/cartpole_ppo.yaml unless the arguments
// say otherwise. Args: {envs x steps per segment, segments, minibatches, epochs, hidden}.
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "learner/ppo.h"

namespace {

struct SyntheticSegment {
  std::vector<float> obs, next_obs, rewards, logprobs;
  std::vector<int32_t> actions;
  std::vector<uint8_t> terminated, truncated;
  std::vector<uint32_t> final_indices;
  std::vector<float> final_obs;

  SyntheticSegment(int T, int N, int D, std::mt19937& rng) {
    std::normal_distribution<float> g(0.f, 1.f);
    std::bernoulli_distribution done(0.02);
    for (int i = 0; i < T * N * D; ++i) obs.push_back(g(rng));
    for (int i = 0; i < N * D; ++i) next_obs.push_back(g(rng));
    for (int i = 0; i < T * N; ++i) {
      rewards.push_back(1.f);
      logprobs.push_back(-0.693f);
      actions.push_back(static_cast<int32_t>(rng() % 2));
      const bool d = done(rng);
      terminated.push_back(d);
      truncated.push_back(0);
      if (d) {
        final_indices.push_back(i);
        for (int k = 0; k < D; ++k) final_obs.push_back(g(rng));
      }
    }
  }
  fleet::learner::SegmentView View(int T, int N) const {
    fleet::learner::SegmentView v;
    v.num_steps = T;
    v.num_envs = N;
    v.observations = obs;
    v.discrete_actions = actions;
    v.rewards = rewards;
    v.terminated = terminated;
    v.truncated = truncated;
    v.logprobs = logprobs;
    v.next_observations = next_obs;
    v.final_indices = final_indices;
    v.final_observations = final_obs;
    return v;
  }
};

void BM_PpoUpdate(benchmark::State& state) {
  const int steps_per_segment = static_cast<int>(state.range(0));
  const int segments = static_cast<int>(state.range(1));
  const int T = steps_per_segment / 4, N = 4, D = 4;
  torch::set_num_threads(1);
  at::globalContext().setFlushDenormal(true);  // as the learner does
  fleet::learner::NetworkOptions net;
  net.obs_dim = D;
  net.action_dim = 2;
  net.hidden = {static_cast<int>(state.range(4)), static_cast<int>(state.range(4))};
  fleet::learner::PpoOptions o;
  o.num_minibatches = static_cast<int>(state.range(2));
  o.update_epochs = static_cast<int>(state.range(3));
  fleet::learner::Ppo ppo(net, o);
  std::mt19937 rng(1);
  std::vector<SyntheticSegment> data;
  for (int s = 0; s < segments; ++s) data.emplace_back(T, N, D, rng);
  std::vector<fleet::learner::SegmentView> views;
  for (const auto& d : data) views.push_back(d.View(T, N));
  int64_t samples = 0;
  for (auto _ : state) {
    auto st = ppo.Update(views, 1.0);
    benchmark::DoNotOptimize(st);
    samples += st.samples * o.update_epochs;
  }
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
  state.counters["grad_steps/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * o.num_minibatches * o.update_epochs,
      benchmark::Counter::kIsRate);
}
// CleanRL ppo.py's CartPole shape: 4 envs x 128 steps, 4 minibatches, 4 epochs, 64-64.
BENCHMARK(BM_PpoUpdate)->Args({512, 1, 4, 4, 64})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PpoUpdate)->Args({512, 2, 4, 4, 64})->Unit(benchmark::kMillisecond);
// configs/cartpole_ppo.yaml: 2 actors x 4 envs x 128 steps, one minibatch, 4 epochs.
BENCHMARK(BM_PpoUpdate)->Args({512, 2, 1, 4, 64})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PpoUpdate)->Args({1024, 2, 2, 4, 64})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
