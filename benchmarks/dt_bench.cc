// Decision Transformer speed (google-benchmark), against the floor its arithmetic sets:
//
//   BM_DtTrainStep     one training step (forward, loss, backward, AdamW) at the official
//                      size: 3 layers, embedding 128, K 20 (60 tokens), batch 64, Hopper's
//                      11-dim states and 3-dim actions; counters: GFLOP/s at the model's
//                      FLOPs (below), and where BM_Gemm ran in the same invocation,
//                      floor_ms (the step's FLOPs at BM_Gemm's rate) and x_floor (the
//                      step's wall time over that floor).
//   BM_Gemm            the linear layers' GEMMs of a step at the model's shapes (the 3840 x
//                      128 activations times each weight, forward and the two backward
//                      products; 13.6 of the step's 14.6 GFLOP): the machine's sgemm rate at
//                      these shapes, which sets the floor. Registered first.
//   BM_DtAct/N/K       one action for each of N envs from the actors' Eigen model
//                      (actor/dt_model.h) with a full 20-step context, all N in one forward
//                      pass; K = 0 the baseline x86-64 build, 1 the AVX2+FMA build (skipped
//                      where the CPU lacks it): per-action time. Counters: actions/s, and
//                      GFLOP/s counting the FLOPs the pass does (the last action token and,
//                      in the last block, all but the last state token left out: 54.2 MFLOP
//                      per action) and the 60-token count (76.3 MFLOP) as "GFLOP/s (60 tok)".
//
//   BM_Dropout/K       the dropout masks of one training step's forward pass at the
//                      official size (the embedding output, and per block the attention
//                      weights and the two residual branches: 4.13M elements), K = 0
//                      torch::dropout, 1 Fleet's (learner/decision_transformer.h).
//
// FLOPs of a training step: per token and block 24 h^2 (QKV 6h^2, output projection 2h^2,
// MLP 16h^2) + 4 T h (attention scores and mixing) in the forward pass, times 3 for the
// backward pass: 3 x 3 blocks x (24 x 128^2 + 4 x 60 x 128) x 3840 tokens = 14.6 GFLOP.
#include <benchmark/benchmark.h>

#include <chrono>
#include <random>

#include "actor/dt_model.h"
#include "learner/dt_algorithm.h"
#include "learner/torch_runtime.h"

namespace {

constexpr int kD = 11, kA = 3, kK = 20, kB = 64;

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// BM_Gemm's sgemm rate (FLOP/s, wall time), for the floor BM_DtTrainStep reports when
// both run in one invocation (BM_Gemm is registered first).
double g_gemm_flops_per_s = 0;

fleet::learner::DtConfig Official() { return fleet::learner::DtConfig{}; }

double StepFlops(const fleet::learner::DtConfig& c, int batch) {
  const double h = c.embed_dim, T = 3.0 * c.context_len;
  return 3.0 * c.n_layer * (24 * h * h + 4 * T * h) * batch * T;
}

void BM_Gemm(benchmark::State& state) {
  torch::set_num_threads(1);
  fleet::learner::SetBlasThreads(1);
  const auto c = Official();
  const int64_t n = kB * 3 * kK, h = c.embed_dim;
  // (out x in) of each block's linear layers; the forward product and the two of backward.
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{3 * h, h}, {h, h}, {4 * h, h}, {h, 4 * h}};
  std::vector<torch::Tensor> x, w, g;
  for (auto [out, in] : shapes) {
    x.push_back(torch::randn({n, in}));
    w.push_back(torch::randn({out, in}));
    g.push_back(torch::randn({n, out}));
  }
  double flops = 0;
  const auto start = Clock::now();
  for (auto _ : state) {
    for (int layer = 0; layer < c.n_layer; ++layer) {
      for (size_t i = 0; i < shapes.size(); ++i) {
        benchmark::DoNotOptimize(torch::mm(x[i], w[i].t()));  // forward
        benchmark::DoNotOptimize(torch::mm(g[i], w[i]));      // grad of the input
        benchmark::DoNotOptimize(torch::mm(g[i].t(), x[i]));  // grad of the weight
      }
    }
  }
  for (auto [out, in] : shapes) flops += 3.0 * 2.0 * n * out * in * c.n_layer;
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops / 1e9 * state.iterations(), benchmark::Counter::kIsRate);
  // the rate over wall time, for BM_DtTrainStep's floor
  g_gemm_flops_per_s = flops * static_cast<double>(state.iterations()) / Seconds(start);
}
BENCHMARK(BM_Gemm)->Unit(benchmark::kMillisecond)->MinTime(5.0);

void BM_DtTrainStep(benchmark::State& state) {
  torch::set_num_threads(1);
  fleet::learner::SetBlasThreads(1);
  fleet::learner::ConfigureCpuForTraining();
  auto c = Official();
  c.dropout = state.range(0) / 100.0;
  fleet::learner::DecisionTransformer m(c, fleet::learner::DtShape{kD, kA, false});
  torch::optim::AdamW opt(m->parameters(), torch::optim::AdamWOptions(1e-4).weight_decay(1e-4));
  torch::manual_seed(1);
  const torch::Tensor s = torch::randn({kB, kK, kD}), a = torch::rand({kB, kK, kA}) * 2 - 1,
                      r = torch::randn({kB, kK}), t = torch::randint(0, 1000, {kB, kK}),
                      mask = torch::ones({kB, kK});
  m->train();
  const auto start = Clock::now();
  for (auto _ : state) {
    torch::Tensor pred = m->forward(s, a, r, t, mask);
    torch::Tensor loss = (pred - a).pow(2).mean();
    opt.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(m->parameters(), 0.25);
    opt.step();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(StepFlops(c, kB) / 1e9 * state.iterations(),
                                                 benchmark::Counter::kIsRate);
  if (g_gemm_flops_per_s > 0) {
    // the floor: the step's FLOPs at the sgemm rate BM_Gemm measured; the step's wall time
    // over it
    const double floor_s = StepFlops(c, kB) / g_gemm_flops_per_s;
    state.counters["floor_ms"] = floor_s * 1e3;
    state.counters["x_floor"] = Seconds(start) / static_cast<double>(state.iterations()) / floor_s;
  }
}
// Arg: dropout in percent (the official 10, and 0 to see what dropout costs).
BENCHMARK(BM_DtTrainStep)->Arg(10)->Arg(0)->Unit(benchmark::kMillisecond)->MinTime(5.0);

void BM_Dropout(benchmark::State& state) {
  torch::set_num_threads(1);
  torch::manual_seed(1);
  const int64_t T = 3 * kK, h = 128;
  const torch::Tensor tokens = torch::randn({kB, T, h}), att = torch::rand({kB, 1, T, T});
  const bool fleet_mask = state.range(0) == 1;
  auto drop = [&](const torch::Tensor& x) {
    return fleet_mask ? fleet::learner::Dropout(x, 0.1, true) : torch::dropout(x, 0.1, true);
  };
  for (auto _ : state) {
    benchmark::DoNotOptimize(drop(tokens));
    for (int b = 0; b < 3; ++b) {
      benchmark::DoNotOptimize(drop(att));
      benchmark::DoNotOptimize(drop(tokens));
      benchmark::DoNotOptimize(drop(tokens));
    }
  }
}
BENCHMARK(BM_Dropout)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_DtAct(benchmark::State& state) {
  torch::set_num_threads(1);
  const auto c = Official();
  fleet::learner::DtShape shape{kD, kA, false};
  fleet::learner::DecisionTransformer m(c, shape);
  fleet::proto::DecisionTransformer t;
  t.set_state_dim(kD);
  t.set_act_dim(kA);
  t.set_n_layer(c.n_layer);
  t.set_n_head(c.n_head);
  t.set_embed_dim(c.embed_dim);
  t.set_context_len(c.context_len);
  t.set_max_episode_len(c.max_episode_len);
  t.set_activation(c.activation);
  t.set_rtg_scale(1000);
  for (int d = 0; d < kD; ++d) {
    t.add_state_mean(0);
    t.add_state_std(1);
  }
  for (const auto& [name, tensor] : m->NamedTensors()) {
    auto* out = t.add_tensors();
    out->set_name(name);
    const torch::Tensor x = tensor.detach().contiguous();
    for (int64_t d : x.sizes()) out->add_shape(static_cast<uint32_t>(d));
    out->mutable_data()->Add(x.data_ptr<float>(), x.data_ptr<float>() + x.numel());
  }
  const auto kernel = state.range(1) ? fleet::actor::DtKernel::kAvx2 : fleet::actor::DtKernel::kBaseline;
  if (kernel == fleet::actor::DtKernel::kAvx2 && !fleet::actor::DtModel::CpuHasAvx2Fma()) {
    state.SkipWithError("no AVX2 and FMA on this CPU");
    return;
  }
  auto model = fleet::actor::DtModel::FromProto(t, kernel);
  const int envs = static_cast<int>(state.range(0));
  std::mt19937 rng(1);
  std::normal_distribution<float> g(0.f, 1.f);
  std::vector<float> s(envs * kK * kD), a(envs * kK * kA), r(envs * kK), out(envs * kA);
  std::vector<int64_t> steps(envs * kK);
  std::vector<int> lengths(envs, kK);
  for (auto& v : s) v = g(rng);
  for (auto& v : a) v = g(rng);
  for (auto& v : r) v = g(rng);
  for (int e = 0; e < envs; ++e) {
    for (int k = 0; k < kK; ++k) steps[e * kK + k] = 100 + k;
  }
  for (auto _ : state) {
    model->PredictLastBatch(lengths, s, a, r, steps, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(model->kernel_name());
  state.counters["actions/s"] =
      benchmark::Counter(static_cast<double>(envs) * state.iterations(), benchmark::Counter::kIsRate);
  // FLOPs per action: blocks but the last over 3K - 1 tokens, the last block's keys and
  // values over all of them and the rest for one token; and the 60-token count.
  const double h = c.embed_dim, T = 3.0 * c.context_len - 1, T60 = 3.0 * c.context_len;
  const double done = (c.n_layer - 1) * (24 * h * h + 4 * T * h) * T + 4 * h * h * T +
                      20 * h * h + 4 * T * h;
  const double full = c.n_layer * (24 * h * h + 4 * T60 * h) * T60;
  state.counters["GFLOP/s"] =
      benchmark::Counter(done * envs / 1e9 * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["GFLOP/s (60 tok)"] =
      benchmark::Counter(full * envs / 1e9 * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DtAct)->ArgsProduct({{1, 8, 32}, {0, 1}})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
