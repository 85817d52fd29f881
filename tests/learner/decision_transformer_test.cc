// The Decision Transformer in libtorch: causal masking, padding, the inputs the loss sees
// (hand-computed), the loss itself, and a small model imitating a deterministic policy.
#include "learner/decision_transformer.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "envs/registry.h"
#include "learner/dt_algorithm.h"

namespace fleet::learner {
namespace {

DtConfig Small() {
  DtConfig c;
  c.n_layer = 2;
  c.n_head = 2;
  c.embed_dim = 16;
  c.context_len = 6;
  c.max_episode_len = 50;
  return c;
}

struct Inputs {
  torch::Tensor states, actions, rtg, timesteps, mask;
};

Inputs Random(int B, int K, int D, int A) {
  torch::manual_seed(7);
  Inputs in;
  in.states = torch::randn({B, K, D});
  in.actions = torch::randn({B, K, A}).clamp(-1, 1);
  in.rtg = torch::randn({B, K});
  in.timesteps = torch::arange(K).repeat({B, 1}).to(torch::kInt64);
  in.mask = torch::ones({B, K});
  return in;
}

torch::Tensor Predict(DecisionTransformer& m, const Inputs& in) {
  torch::NoGradGuard g;
  m->eval();
  return m->forward(in.states, in.actions, in.rtg, in.timesteps, in.mask);
}

TEST(DecisionTransformerTest, ALaterTokenNeverChangesAnEarlierPrediction) {
  torch::manual_seed(1);
  DecisionTransformer m(Small(), DtShape{5, 3, false});
  Inputs in = Random(2, 6, 5, 3);
  const torch::Tensor base = Predict(m, in);
  EXPECT_EQ(base.sizes(), (std::vector<int64_t>{2, 6, 3}));
  EXPECT_LE(base.abs().max().item<double>(), 1.0);  // tanh head
  for (int t = 0; t < 6; ++t) {
    // the action at step t and everything at later steps: predictions up to t unchanged,
    // since the prediction of step t comes from its state token, before its action.
    Inputs changed = in;
    changed.actions = in.actions.clone();
    changed.actions.select(1, t).add_(0.5);
    changed.states = in.states.clone();
    changed.rtg = in.rtg.clone();
    if (t + 1 < 6) {
      changed.states.narrow(1, t + 1, 6 - t - 1).add_(1.0);
      changed.rtg.narrow(1, t + 1, 6 - t - 1).add_(1.0);
    }
    const torch::Tensor after = Predict(m, changed);
    EXPECT_LT((after.narrow(1, 0, t + 1) - base.narrow(1, 0, t + 1)).abs().max().item<double>(), 1e-6)
        << "step " << t;
    if (t + 1 < 6) {  // and the later ones do change: the check above can fail.
      EXPECT_GT((after.narrow(1, t + 1, 6 - t - 1) - base.narrow(1, t + 1, 6 - t - 1)).abs().max().item<double>(),
                1e-4);
    }
  }
}

TEST(DecisionTransformerTest, PaddedStepsDoNotReachThePresentOnes) {
  torch::manual_seed(2);
  DecisionTransformer m(Small(), DtShape{5, 3, false});
  Inputs in = Random(1, 6, 5, 3);
  in.mask.narrow(1, 0, 2).zero_();  // two steps of front padding
  const torch::Tensor base = Predict(m, in);
  Inputs changed = in;
  changed.states = in.states.clone();
  changed.states.narrow(1, 0, 2).add_(3.0);
  changed.rtg = in.rtg.clone();
  changed.rtg.narrow(1, 0, 2).add_(3.0);
  const torch::Tensor after = Predict(m, changed);
  EXPECT_LT((after.narrow(1, 2, 4) - base.narrow(1, 2, 4)).abs().max().item<double>(), 1e-6);
}

// Fleet's attention function (per-window BLAS products, its own backward pass) against
// libtorch's matmul / softmax composition of the same model (with Dropout() on the
// probabilities): two heads, front
// padding, dropout on (both draw their masks in the same order from the same seed), so the
// loss and every parameter's gradient agree; the check fails if either pass breaks.
TEST(DecisionTransformerTest, OwnAttentionMatchesLibtorchsForwardAndBackward) {
  ASSERT_TRUE(OwnAttentionAvailable()) << "no sgemm_: the test would compare libtorch with itself";
  for (const double p : {0.0, 0.1}) {
    DtConfig c = Small();
    c.dropout = p;
    torch::manual_seed(4);
    DecisionTransformer own(c, DtShape{5, 3, false});
    torch::manual_seed(4);
    DecisionTransformer ref(c, DtShape{5, 3, false});
    ref->set_own_attention(false);
    Inputs in = Random(3, 6, 5, 3);
    in.mask[1].narrow(0, 0, 2).zero_();  // window 1: two steps of front padding
    auto run = [&](DecisionTransformer& m) {
      m->train();
      m->zero_grad();
      torch::manual_seed(11);
      torch::Tensor pred = m->forward(in.states, in.actions, in.rtg, in.timesteps, in.mask);
      torch::Tensor loss = ((pred - in.actions).pow(2).sum(-1) * in.mask).sum();
      loss.backward();
      return loss.item<double>();
    };
    const double l_own = run(own), l_ref = run(ref);
    EXPECT_NEAR(l_own, l_ref, 1e-5 * std::abs(l_ref)) << "p " << p;
    const auto po = own->named_parameters(), pr = ref->named_parameters();
    ASSERT_EQ(po.size(), pr.size());
    for (size_t i = 0; i < po.size(); ++i) {
      const torch::Tensor go = po[i].value().grad(), gr = pr[i].value().grad();
      ASSERT_TRUE(go.defined() && gr.defined()) << po[i].key();
      const double scale = std::max(1e-3, gr.abs().max().item<double>());
      EXPECT_LT((go - gr).abs().max().item<double>() / scale, 1e-4) << po[i].key() << " p " << p;
    }
  }
}

ExperimentConfig DtExperiment(const std::string& env) {
  ExperimentConfig cfg;
  cfg.env.id = env;
  cfg.learner.algo = "dt";
  cfg.learner.dataset = "unused";
  cfg.learner.sections.nodes["dt"] = YAML::Load(
      "{n_layer: 1, n_head: 1, embed_dim: 32, context_len: 4, max_episode_len: 20, "
      "rtg_scale: 100, warmup_steps: 10, learning_rate: 0.001, dropout: 0.0}");
  return cfg;
}

DatasetStats Stats(int D) {
  DatasetStats s;
  s.obs_mean.assign(D, 1.0);
  s.obs_std.assign(D, 2.0);
  s.best_return = 50;
  s.max_episode_len = 20;
  return s;
}

// Dropout: the fraction kept is 1 - p (within 5 standard errors over 1M elements), kept
// elements are scaled by 1 / (1 - p), the gradient is the mask, neighbouring elements (the
// four 16-bit quarters of one 64-bit draw) are independent, a mask is fixed by torch's seed
// and the next call draws a new one; not training, or p = 0, passes x through.
TEST(DecisionTransformerTest, DropoutKeepsOneMinusPScaledAndIsFixedByTheSeed) {
  const double p = 0.1;
  const int64_t n = 1 << 20;
  torch::manual_seed(3);
  torch::Tensor x = torch::full({n}, 2.0f).requires_grad_(true);
  torch::Tensor y = Dropout(x, p, true);
  torch::Tensor kept = (y != 0).to(torch::kFloat64);
  const double frac = kept.mean().item<double>();
  EXPECT_NEAR(frac, 1 - p, 5 * std::sqrt(p * (1 - p) / n));
  // kept: scaled by the inverse of the keep probability drawn, 58982 / 65536 (0.9 rounded
  // to a multiple of 2^-16), so that the expected output is x exactly
  const float kept_value = static_cast<float>(2.0 * 65536.0 / 58982.0);
  EXPECT_TRUE(torch::all(torch::logical_or(y == 0, torch::abs(y - kept_value) < 1e-6)).item<bool>());
  EXPECT_NEAR(y.detach().to(torch::kFloat64).mean().item<double>(), 2.0, 5 * 2.0 * std::sqrt(p / (1 - p) / n));
  y.sum().backward();
  EXPECT_TRUE(torch::equal(x.grad(), y.detach() / 2.0f));
  // lanes: P(both dropped) = p^2 for each pair of quarters of one draw
  torch::Tensor dropped = (y.detach() == 0).view({n / 4, 4}).to(torch::kFloat64);
  for (int i = 0; i < 4; ++i) {
    for (int j = i + 1; j < 4; ++j) {
      const double both = (dropped.select(1, i) * dropped.select(1, j)).mean().item<double>();
      EXPECT_NEAR(both, p * p, 5 * std::sqrt(p * p * (1 - p * p) / (n / 4))) << "lanes " << i << ", " << j;
    }
  }
  // a size that is no multiple of the draw's four lanes or its 256-element chunk fills its
  // last element too (keep rate over many draws)
  double last = 0;
  const torch::Tensor ones = torch::ones({259});
  for (int t = 0; t < 2000; ++t) last += Dropout(ones, 0.5, true)[258].item<float>();
  EXPECT_NEAR(last / 2000, 1.0, 5 * std::sqrt(0.25 * 4 / 2000));  // values 0 or 2
  torch::manual_seed(3);
  torch::Tensor again = Dropout(x.detach(), p, true);
  EXPECT_TRUE(torch::equal(again, y.detach()));
  EXPECT_FALSE(torch::equal(Dropout(x.detach(), p, true), y.detach()));
  EXPECT_TRUE(torch::equal(Dropout(x.detach(), p, false), x.detach()));
  EXPECT_TRUE(torch::equal(Dropout(x.detach(), 0.0, true), x.detach()));
  // p within 2^-17 of 1 has no 16-bit threshold: torch's dropout drops (nearly) everything
  EXPECT_EQ(Dropout(x.detach().narrow(0, 0, 1000), 1.0 - 1e-7, true).count_nonzero().item<int64_t>(), 0);
}

// The fused residual branch: residual + Dropout(x) with the same mask as Dropout draws
// from the same seed, the residual's gradient passed through whole, x's the mask.
TEST(DecisionTransformerTest, ResidualDropoutIsTheResidualPlusTheDroppedBranch) {
  const double p = 0.25;
  torch::manual_seed(5);
  const torch::Tensor r0 = torch::randn({64, 37}), x0 = torch::randn({64, 37});
  torch::manual_seed(9);
  const torch::Tensor dropped = Dropout(x0, p, true);
  torch::manual_seed(9);
  torch::Tensor r = r0.clone().requires_grad_(true), x = x0.clone().requires_grad_(true);
  torch::Tensor y = ResidualDropout(r, x, p, true);
  EXPECT_LT((y - (r0 + dropped)).abs().max().item<double>(), 1e-6);
  const torch::Tensor w = torch::randn({64, 37});
  (y * w).sum().backward();
  EXPECT_TRUE(torch::equal(r.grad(), w));
  const torch::Tensor mask = (dropped != 0).to(torch::kFloat32) / (1 - p);  // 0.75: a multiple of 2^-16
  EXPECT_LT((x.grad() - w * mask).abs().max().item<double>(), 1e-6);
  const double kept = (dropped != 0).to(torch::kFloat64).mean().item<double>();
  EXPECT_NEAR(kept, 1 - p, 0.03);
  EXPECT_TRUE(torch::equal(ResidualDropout(r0, x0, p, false), r0 + x0));
}

TEST(DtAlgorithmTest, InputsAreNormalizedScaledAndMasked) {
  auto spec = envs::GetSpec("Acrobot-v1");  // 6-dim observations, 3 discrete actions
  ASSERT_TRUE(spec.ok());
  auto algo = DtAlgorithm::Create(DtExperiment("Acrobot-v1"), *spec, Stats(6));
  ASSERT_TRUE(algo.ok()) << algo.status().ToString();
  WindowBatch b;
  b.batch = 1;
  b.k = 2;
  b.obs_dim = 6;
  b.action_width = 1;
  b.observations = {3, 3, 3, 3, 3, 3, 5, 1, 1, 1, 1, 1};
  b.actions = {0, 2};
  b.returns_to_go = {0, 250};
  b.timesteps = {0, 25};  // beyond max_episode_len 20: clipped to 19
  b.mask = {0, 1};        // the first step is padding
  const DtAlgorithm::Inputs in = (*algo)->Prepare(b);
  EXPECT_FLOAT_EQ(in.states[0][0][0].item<float>(), 0.0f);  // padding: zeros
  EXPECT_FLOAT_EQ(in.states[0][1][0].item<float>(), 2.0f);  // (5 - 1) / 2
  EXPECT_FLOAT_EQ(in.states[0][1][1].item<float>(), 0.0f);  // (1 - 1) / 2
  EXPECT_FLOAT_EQ(in.rtg[0][1].item<float>(), 2.5f);        // 250 / 100
  EXPECT_EQ(in.timesteps[0][1].item<int64_t>(), 19);
  EXPECT_EQ(in.actions[0][1][2].item<float>(), 1.0f);  // one-hot of action 2
  EXPECT_EQ(in.actions[0][0].sum().item<float>(), 0.0f);  // padding: no action
  // the loss counts present steps only: cross-entropy of uniform logits is log 3.
  const torch::Tensor uniform = torch::zeros({1, 2, 3});
  EXPECT_NEAR((*algo)->Loss(uniform, in).item<double>(), std::log(3.0), 1e-6);
}

TEST(DtAlgorithmTest, ContinuousLossIsTheMeanSquaredErrorOfPresentSteps) {
  auto spec = envs::GetSpec("Pendulum-v1");  // 3-dim observations, 1 action
  ASSERT_TRUE(spec.ok());
  auto algo = DtAlgorithm::Create(DtExperiment("Pendulum-v1"), *spec, Stats(3));
  ASSERT_TRUE(algo.ok()) << algo.status().ToString();
  WindowBatch b{1, 3, 3, 1, std::vector<float>(9, 0.0f), {0.5f, -1.0f, 0.25f}, {0, 0, 0},
                {0, 1, 2}, {0, 1, 1}};
  const DtAlgorithm::Inputs in = (*algo)->Prepare(b);
  const torch::Tensor pred = torch::tensor({0.9f, 0.0f, 0.0f}).view({1, 3, 1});
  // present steps 1 and 2: ((0 + 1)^2 + (0 - 0.25)^2) / 2
  EXPECT_NEAR((*algo)->Loss(pred, in).item<double>(), (1.0 + 0.0625) / 2, 1e-6);
}

TEST(DtAlgorithmTest, LearnsToImitateADeterministicPolicy) {
  // Pendulum-shaped data from the policy a = clip(0.5 s0 - 0.3 s1): after a few hundred
  // steps the model predicts it closely on fresh windows.
  auto spec = envs::GetSpec("Pendulum-v1");
  ASSERT_TRUE(spec.ok());
  DatasetStats stats = Stats(3);
  stats.obs_mean.assign(3, 0.0);
  stats.obs_std.assign(3, 1.0);
  torch::set_num_threads(1);
  auto algo = DtAlgorithm::Create(DtExperiment("Pendulum-v1"), *spec, stats);
  ASSERT_TRUE(algo.ok()) << algo.status().ToString();
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0.f, 1.f);
  auto make = [&](int B) {
    WindowBatch b{B, 4, 3, 1, {}, {}, {}, {}, {}};
    for (int i = 0; i < B * 4; ++i) {
      const float s0 = g(rng), s1 = g(rng), s2 = g(rng);
      b.observations.insert(b.observations.end(), {s0, s1, s2});
      b.actions.push_back(std::clamp(0.5f * s0 - 0.3f * s1, -1.0f, 1.0f));
      b.returns_to_go.push_back(10.0f);
      b.timesteps.push_back(i % 4);
      b.mask.push_back(1);
    }
    return b;
  };
  double first = 0, last = 0;
  for (int step = 0; step < 400; ++step) {
    auto v = (*algo)->Update(make(32), {step, 400});
    ASSERT_TRUE(v.ok());
    if (step == 0) first = (*v)[0];
    last = (*v)[0];
  }
  const WindowBatch test = make(64);
  const DtAlgorithm::Inputs in = (*algo)->Prepare(test);
  torch::NoGradGuard no_grad;
  (*algo)->model()->eval();
  const double mse = (*algo)->Loss((*algo)->model()->forward(in.states, in.actions, in.rtg,
                                                             in.timesteps, in.mask), in)
                         .item<double>();
  EXPECT_LT(mse, 0.01) << "first training loss " << first << ", last " << last;
  EXPECT_LT(last, first);
}

}  // namespace
}  // namespace fleet::learner
