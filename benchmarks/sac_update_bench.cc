// SAC's update (learner/sac.h) on HalfCheetah's shapes (17-dim observations, 6-dim
// actions), CleanRL's defaults (256-256, batch 256, policy and temperature every 2 steps,
// twice), on 1 and 2 threads (the benchmark's argument: torch's intra-op threads and
// OpenBLAS's, both set as the learner process sets them from learner.threads), against the
// floor its matrix products set: the same GEMMs (every linear layer's forward product, and
// in the backward passes the products for the weight gradients and for the input gradients
// autograd needs) timed alone with torch::mm on tensors of the same shapes and threads. An
// update's mean is taken over whole policy periods (iterations in multiples of 2). Same
// update in Python PyTorch: benchmarks/sac_update_torch.py [--threads N].
//   taskset -c 1 build/benchmarks/sac_update_bench --benchmark_filter=/1/
//   build/benchmarks/sac_update_bench --benchmark_filter=/2/      (both cores)
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "learner/sac.h"
#include "learner/torch_runtime.h"

namespace {

constexpr int kObs = 17, kAct = 6, kHidden = 256, kBatch = 256;

fleet::replay::TransitionBatch RandomBatch(std::mt19937& rng) {
  fleet::replay::TransitionBatch b;
  b.Resize(kBatch, kObs, kAct);
  std::normal_distribution<float> g(0.f, 1.f);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (auto& v : b.obs) v = g(rng);
  for (auto& v : b.next_obs) v = g(rng);
  for (auto& v : b.actions) v = u(rng);
  for (auto& v : b.rewards) v = g(rng);
  for (auto& v : b.terminated) v = 0;
  return b;
}

// The learner process's CPU settings with learner.threads = n.
void UseThreads(int n) {
  fleet::ExperimentConfig config;
  config.learner.threads = n;
  fleet::learner::ConfigureLearnerProcess(config);
}

void BM_SacUpdate(benchmark::State& state) {
  UseThreads(static_cast<int>(state.range(0)));
  fleet::learner::SacConfig c;  // CleanRL's defaults
  fleet::learner::Sac sac(kObs, std::vector<float>(kAct, -1.f), std::vector<float>(kAct, 1.f), c, 1);
  std::mt19937 rng(1);
  std::vector<fleet::replay::TransitionBatch> batches;
  for (int i = 0; i < 8; ++i) batches.push_back(RandomBatch(rng));
  int64_t i = 0;
  for (auto _ : state) {
    auto m = sac.Update(batches[i++ % batches.size()]);
    benchmark::DoNotOptimize(m);
  }
  state.counters["updates_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                       benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SacUpdate)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(400)->Repetitions(3);

// One linear layer applied to a batch: its forward product, and in backward (where autograd
// needs them) the weight gradient's and the input gradient's.
struct Linear {
  int in, out;
  bool weight_grad, input_grad;
};

// The linear applications of one average update (the policy step's work counted once per
// update: 2 steps every 2 updates). Actor: 17-256-256 trunk, two 256-6 heads; critics:
// 23-256-256-1, two of them.
std::vector<Linear> UpdateGemms() {
  const std::vector<Linear> actor = {{kObs, kHidden}, {kHidden, kHidden}, {kHidden, kAct}, {kHidden, kAct}};
  const std::vector<Linear> q = {{kObs + kAct, kHidden}, {kHidden, kHidden}, {kHidden, 1}};
  std::vector<Linear> all;
  auto add = [&](const std::vector<Linear>& net, bool weight_grad, bool input_grad,
                 bool first_input_grad) {
    for (size_t i = 0; i < net.size(); ++i) {
      all.push_back({net[i].in, net[i].out, weight_grad, input_grad && (i > 0 || first_input_grad)});
    }
  };
  // target: the actor on s' and both target critics, no gradients
  add(actor, false, false, false);
  add(q, false, false, false);
  add(q, false, false, false);
  // critic step: both critics forward and backward (the input is data: no input gradient)
  add(q, true, true, false);
  add(q, true, true, false);
  // policy step (once per update on average): the actor and both critics forward and
  // backward; the critics' input holds the action, whose gradient flows to the actor; their
  // weights are frozen for this step (learner/sac.cc: those gradients would go unused),
  // so no weight-gradient products; then the actor forward again for the temperature
  add(actor, true, true, false);
  add(q, false, true, true);
  add(q, false, true, true);
  add(actor, false, false, false);
  return all;
}

void BM_SacGemmFloor(benchmark::State& state) {
  UseThreads(static_cast<int>(state.range(0)));
  struct Product {
    torch::Tensor a, b;
  };
  std::vector<Product> products;
  double flops = 0;
  for (const Linear& l : UpdateGemms()) {
    // forward: (B x in) (in x out)
    products.push_back({torch::randn({kBatch, l.in}), torch::randn({l.in, l.out})});
    flops += 2.0 * kBatch * l.in * l.out;
    if (l.weight_grad) {
      // weight gradient: (out x B) (B x in)
      products.push_back({torch::randn({l.out, kBatch}), torch::randn({kBatch, l.in})});
      flops += 2.0 * kBatch * l.in * l.out;
    }
    if (l.input_grad) {
      // input gradient: (B x out) (out x in)
      products.push_back({torch::randn({kBatch, l.out}), torch::randn({l.out, l.in})});
      flops += 2.0 * kBatch * l.in * l.out;
    }
  }
  for (auto _ : state) {
    for (const Product& p : products) benchmark::DoNotOptimize(torch::mm(p.a, p.b));
  }
  state.counters["gflop_per_update"] = flops / 1e9;
  state.counters["gflops"] = benchmark::Counter(flops * static_cast<double>(state.iterations()) / 1e9,
                                                benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SacGemmFloor)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(400)->Repetitions(3);

}  // namespace

BENCHMARK_MAIN();
