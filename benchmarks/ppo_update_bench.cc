// PPO update throughput (samples/s) of fleet_ppo on synthetic rollouts.
// Args: {envs x steps per segment, segments, minibatches, epochs, hidden, shape}; shape 0
// is CartPole (4-dim obs, 2 discrete actions, 4 envs per segment), shape 1 HalfCheetah
// (17-dim obs, 6-dim Gaussian actions, 1 env per segment).
// FLEET_BENCH_DEVICE=cuda runs the update on the GPU (default cpu, one intra-op thread).
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "learner/ppo.h"

namespace {

struct SyntheticSegment {
  std::vector<float> obs, next_obs, rewards, logprobs;
  std::vector<int32_t> actions;
  std::vector<float> cont_actions;
  std::vector<uint8_t> terminated, truncated;
  std::vector<uint32_t> final_indices;
  std::vector<float> final_obs;

  SyntheticSegment(int T, int N, int D, int A, bool discrete, std::mt19937& rng) {
    std::normal_distribution<float> g(0.f, 1.f);
    std::bernoulli_distribution done(0.02);
    for (int i = 0; i < T * N * D; ++i) obs.push_back(g(rng));
    for (int i = 0; i < N * D; ++i) next_obs.push_back(g(rng));
    for (int i = 0; i < T * N; ++i) {
      rewards.push_back(1.f);
      logprobs.push_back(-0.693f);
      if (discrete) {
        actions.push_back(static_cast<int32_t>(rng() % A));
      } else {
        for (int k = 0; k < A; ++k) cont_actions.push_back(g(rng));
      }
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
    v.continuous_actions = cont_actions;
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
  const bool cheetah = state.range(5) == 1;
  const int N = cheetah ? 1 : 4, T = steps_per_segment / N, D = cheetah ? 17 : 4,
            A = cheetah ? 6 : 2;
  const char* dev = std::getenv("FLEET_BENCH_DEVICE");
  torch::set_num_threads(1);
  fleet::learner::SetBlasThreads(1);
  fleet::learner::ConfigureCpuForTraining();  // as the learner does
  fleet::learner::NetworkOptions net;
  net.obs_dim = D;
  net.action_dim = A;
  net.discrete = !cheetah;
  net.mlp.hidden = {static_cast<int>(state.range(4)), static_cast<int>(state.range(4))};
  fleet::learner::PpoConfig o;
  o.num_minibatches = static_cast<int>(state.range(2));
  o.update_epochs = static_cast<int>(state.range(3));
  fleet::learner::Ppo ppo(net, o, /*seed=*/1, dev != nullptr ? dev : "cpu");
  std::mt19937 rng(1);
  std::vector<SyntheticSegment> data;
  for (int s = 0; s < segments; ++s) data.emplace_back(T, N, D, A, !cheetah, rng);
  std::vector<fleet::learner::SegmentView> views;
  for (const auto& d : data) views.push_back(d.View(T, N));
  ppo.Update(views, 1.0);  // warm-up (CUDA context, allocator)
  int64_t samples = 0;
  for (auto _ : state) {
    auto st = ppo.Update(views, 1.0);
    benchmark::DoNotOptimize(st);
    samples += st.samples * o.update_epochs;
  }
  state.SetLabel(ppo.device().str());
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
  state.counters["grad_steps/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * o.num_minibatches * o.update_epochs,
      benchmark::Counter::kIsRate);
}
// CleanRL ppo.py's CartPole shape: 4 envs x 128 steps, 4 minibatches, 4 epochs, 64-64.
BENCHMARK(BM_PpoUpdate)->Args({512, 1, 4, 4, 64, 0})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PpoUpdate)->Args({512, 2, 4, 4, 64, 0})->Unit(benchmark::kMillisecond);
// configs/cartpole_ppo.yaml: 2 actors x 4 envs x 128 steps, one minibatch, 4 epochs.
BENCHMARK(BM_PpoUpdate)->Args({512, 2, 1, 4, 64, 0})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PpoUpdate)->Args({1024, 2, 2, 4, 64, 0})->Unit(benchmark::kMillisecond);
// CleanRL's ppo_continuous_action.py on HalfCheetah: 1 env x 2048 steps, 32 minibatches,
// 10 epochs, 64-64.
BENCHMARK(BM_PpoUpdate)->Args({2048, 1, 32, 10, 64, 1})->Unit(benchmark::kMillisecond);
// configs/halfcheetah_ppo_zoo.yaml (RL Zoo's tuned HalfCheetah): 1 env x 512 steps, 8
// minibatches of 64, 20 epochs, 256-256 (tanh here, ReLU in the config).
BENCHMARK(BM_PpoUpdate)->Args({512, 1, 8, 20, 256, 1})->Unit(benchmark::kMillisecond);
// a large-batch learner: 64 segments of 256 steps (16384 samples), 4 minibatches of 4096,
// 4 epochs, 256-256: the shape where a GPU pays off.
BENCHMARK(BM_PpoUpdate)->Args({256, 64, 4, 4, 256, 1})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
