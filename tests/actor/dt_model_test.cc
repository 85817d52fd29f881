// The actors' Eigen Decision Transformer computes what the learner's libtorch model
// computes: the action predicted from the last state token of a context, for every
// context length, with and without the front padding of training, ReLU and GELU,
// continuous and discrete actions (max abs difference < 1e-5), on both builds of the
// forward pass (baseline x86-64 and AVX2+FMA) and for many contexts in one pass.
#include "actor/dt_model.h"

#include <gtest/gtest.h>

#include <string>

#include "actor/dt_policy.h"
#include "learner/decision_transformer.h"
#include "learner/dt_algorithm.h"

namespace fleet {
namespace {

struct Case {
  const char* activation;
  bool discrete;
  actor::DtKernel kernel;
};

class DtModelTest : public ::testing::TestWithParam<Case> {};

proto::DecisionTransformer Export(learner::DecisionTransformer& m) {
  proto::DecisionTransformer t;
  const auto& c = m->config();
  const auto& s = m->shape();
  t.set_state_dim(s.state_dim);
  t.set_act_dim(s.act_dim);
  t.set_discrete(s.discrete);
  t.set_n_layer(c.n_layer);
  t.set_n_head(c.n_head);
  t.set_embed_dim(c.embed_dim);
  t.set_context_len(c.context_len);
  t.set_max_episode_len(c.max_episode_len);
  t.set_activation(c.activation);
  t.set_rtg_scale(static_cast<float>(c.rtg_scale));
  for (int d = 0; d < s.state_dim; ++d) {
    t.add_state_mean(0.0f);
    t.add_state_std(1.0f);
  }
  for (const auto& [name, tensor] : m->NamedTensors()) {
    proto::Tensor* out = t.add_tensors();
    out->set_name(name);
    const torch::Tensor x = tensor.detach().contiguous();
    for (int64_t d : x.sizes()) out->add_shape(static_cast<uint32_t>(d));
    out->mutable_data()->Add(x.data_ptr<float>(), x.data_ptr<float>() + x.numel());
  }
  return t;
}

TEST_P(DtModelTest, EigenForwardEqualsLibtorch) {
  const Case p = GetParam();
  learner::DtConfig c;
  c.n_layer = 3;
  c.n_head = 2;
  c.embed_dim = 32;
  c.context_len = 8;
  c.max_episode_len = 100;
  c.activation = p.activation;
  const int D = 5, A = p.discrete ? 4 : 3;
  torch::manual_seed(11);
  learner::DecisionTransformer m(c, learner::DtShape{D, A, p.discrete});
  {
    torch::NoGradGuard g;  // away from the small initial weights, so errors would show
    for (auto& t : m->parameters()) t.add_(torch::randn_like(t) * 0.3);
  }
  m->eval();
  if (p.kernel == actor::DtKernel::kAvx2 && !actor::DtModel::CpuHasAvx2Fma()) {
    GTEST_SKIP() << "this CPU has no AVX2 and FMA";
  }
  auto model = actor::DtModel::FromProto(Export(m), p.kernel);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_STREQ(model->kernel_name(), p.kernel == actor::DtKernel::kAvx2 ? "avx2+fma" : "baseline");
  const int K = c.context_len;
  torch::Tensor states = torch::randn({1, K, D});
  torch::Tensor actions = p.discrete ? torch::one_hot(torch::randint(0, A, {1, K}), A).to(torch::kFloat32)
                                     : torch::rand({1, K, A}) * 2 - 1;
  torch::Tensor rtg = torch::randn({1, K});
  torch::Tensor steps = torch::arange(40, 40 + K).view({1, K}).to(torch::kInt64);
  double worst = 0, worst_batch = 0;
  std::vector<float> out(A);
  // every length 1..K, each alone and then all K contexts in one batch
  std::vector<int> lengths;
  std::vector<float> bs, ba, br;
  std::vector<int64_t> bt;
  std::vector<torch::Tensor> preds;
  for (int L = 1; L <= K; ++L) {
    // libtorch: the first L steps with K - L steps of front padding, as in training.
    torch::Tensor mask = torch::zeros({1, K});
    mask.narrow(1, K - L, L).fill_(1);
    auto pad = [&](const torch::Tensor& x) {  // shift the first L steps to the back
      torch::Tensor y = torch::zeros_like(x);
      y.narrow(1, K - L, L).copy_(x.narrow(1, 0, L));
      return y;
    };
    torch::Tensor ts = torch::zeros_like(steps);
    ts.narrow(1, K - L, L).copy_(steps.narrow(1, 0, L));
    torch::Tensor pred;
    {
      torch::NoGradGuard g;
      pred = m->forward(pad(states), pad(actions), pad(rtg), ts, mask)[0][K - 1].contiguous();
    }
    preds.push_back(pred);
    // Eigen: the L steps alone.
    const torch::Tensor s = states.narrow(1, 0, L).contiguous(), a = actions.narrow(1, 0, L).contiguous(),
                        r = rtg.narrow(1, 0, L).contiguous(), t = steps.narrow(1, 0, L).contiguous();
    model->PredictLast({s.data_ptr<float>(), size_t(L * D)}, {a.data_ptr<float>(), size_t(L * A)},
                       {r.data_ptr<float>(), size_t(L)}, {t.data_ptr<int64_t>(), size_t(L)}, L, out);
    for (int j = 0; j < A; ++j) worst = std::max(worst, std::abs(out[j] - pred[j].item<double>()));
    lengths.push_back(L);
    bs.insert(bs.end(), s.data_ptr<float>(), s.data_ptr<float>() + L * D);
    ba.insert(ba.end(), a.data_ptr<float>(), a.data_ptr<float>() + L * A);
    br.insert(br.end(), r.data_ptr<float>(), r.data_ptr<float>() + L);
    bt.insert(bt.end(), t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + L);
  }
  std::vector<float> batch_out(static_cast<size_t>(K) * A);
  model->PredictLastBatch(lengths, bs, ba, br, bt, batch_out);
  for (int i = 0; i < K; ++i) {
    for (int j = 0; j < A; ++j) {
      worst_batch = std::max(worst_batch, std::abs(batch_out[i * A + j] - preds[i][j].item<double>()));
    }
  }
  EXPECT_LT(worst, 1e-5);
  EXPECT_LT(worst_batch, 1e-5);
  RecordProperty("max_abs_difference", std::to_string(std::max(worst, worst_batch)));
}

TEST(DtModelKernelTest, Avx2IsRefusedWhereTheCpuLacksIt) {
  proto::DecisionTransformer t;  // shape errors come first: check the kernel on a valid model
  learner::DtConfig c;
  c.n_layer = 1;
  c.embed_dim = 8;
  c.context_len = 2;
  c.max_episode_len = 4;
  learner::DecisionTransformer m(c, learner::DtShape{2, 1, false});
  auto model = actor::DtModel::FromProto(Export(m), actor::DtKernel::kAvx2);
  if (actor::DtModel::CpuHasAvx2Fma()) {
    EXPECT_TRUE(model.ok());
  } else {
    EXPECT_EQ(model.status().code(), StatusCode::kFailedPrecondition);
  }
  auto automatic = actor::DtModel::FromProto(Export(m));
  ASSERT_TRUE(automatic.ok());
  EXPECT_STREQ(automatic->kernel_name(), actor::DtModel::CpuHasAvx2Fma() ? "avx2+fma" : "baseline");
}

INSTANTIATE_TEST_SUITE_P(Dt, DtModelTest,
                         ::testing::Values(Case{"relu", false, actor::DtKernel::kBaseline},
                                           Case{"gelu", false, actor::DtKernel::kBaseline},
                                           Case{"relu", true, actor::DtKernel::kBaseline},
                                           Case{"relu", false, actor::DtKernel::kAvx2},
                                           Case{"gelu", false, actor::DtKernel::kAvx2},
                                           Case{"relu", true, actor::DtKernel::kAvx2}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           const Case& c = info.param;
                           return std::string(c.activation) + (c.discrete ? "_discrete" : "_box") +
                                  (c.kernel == actor::DtKernel::kAvx2 ? "_avx2" : "_baseline");
                         });

TEST(DtPolicyTest, ReturnToGoFallsByEachRewardAndRestartsWithAnEpisode) {
  learner::DtConfig c;
  c.n_layer = 1;
  c.embed_dim = 8;
  c.context_len = 3;
  c.max_episode_len = 10;
  c.rtg_scale = 10;
  torch::manual_seed(1);
  learner::DecisionTransformer m(c, learner::DtShape{2, 1, false});
  m->eval();
  proto::DecisionTransformer t = Export(m);
  t.set_target_return(50);
  auto model = actor::DtModel::FromProto(t);
  ASSERT_TRUE(model.ok());
  actor::DtPolicy policy(std::move(*model), 3);
  EXPECT_EQ(policy.target_return(), 50);
  // the same context fed to libtorch by hand: rtg 5.0, 4.0, 2.5 after rewards 10 and 15.
  std::mt19937_64 rng(1);
  std::vector<float> obs = {0.1f, -0.2f}, action(1), none;
  std::vector<float> acted;
  for (float reward : {10.0f, 15.0f, 0.0f}) {
    policy.Act(obs, 1, rng, action, none, none);
    acted.push_back(action[0]);
    const uint8_t ended = 0;
    policy.Observe({&reward, 1}, {&ended, 1});
  }
  torch::NoGradGuard g;
  const torch::Tensor states = torch::tensor({0.1f, -0.2f}).repeat({3}).view({1, 3, 2});
  torch::Tensor actions = torch::zeros({1, 3, 1});
  actions[0][0][0] = acted[0];
  actions[0][1][0] = acted[1];
  const torch::Tensor rtg = torch::tensor({5.0f, 4.0f, 2.5f}).view({1, 3});
  const torch::Tensor steps = torch::arange(3).view({1, 3}).to(torch::kInt64);
  const torch::Tensor pred = m->forward(states, actions, rtg, steps, torch::ones({1, 3}));
  EXPECT_NEAR(acted[2], pred[0][2][0].item<float>(), 1e-5);
  // after an episode ends, the context starts over: the first action again.
  const float reward = 1.0f;
  const uint8_t ended = 1;
  policy.Observe({&reward, 1}, {&ended, 1});
  policy.Act(obs, 1, rng, action, none, none);
  EXPECT_NEAR(action[0], acted[0], 1e-6);
}

// An actor's envs act through one forward pass; each env's action is the one a policy
// acting for that env alone would take, episodes ending at different steps included.
TEST(DtPolicyTest, EnvsActingTogetherActAsEachAlone) {
  learner::DtConfig c;
  c.n_layer = 2;
  c.embed_dim = 16;
  c.context_len = 4;
  c.max_episode_len = 20;
  torch::manual_seed(5);
  learner::DecisionTransformer m(c, learner::DtShape{3, 2, false});
  m->eval();
  const proto::DecisionTransformer t = Export(m);
  constexpr int kEnvs = 3;
  auto model = [&] {
    auto m = actor::DtModel::FromProto(t);
    EXPECT_TRUE(m.ok());
    return std::move(m).value();
  };
  actor::DtPolicy together(model(), 1, 100.0);
  std::vector<actor::DtPolicy> alone;
  for (int e = 0; e < kEnvs; ++e) alone.emplace_back(model(), 1, 100.0);
  std::mt19937_64 rng(3);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> none, one(2);
  for (int step = 0; step < 9; ++step) {  // past the context length, with ends on the way
    std::vector<float> obs(kEnvs * 3), acts(kEnvs * 2), rewards(kEnvs);
    std::vector<uint8_t> ended(kEnvs);
    for (auto& o : obs) o = g(rng);
    together.Act(obs, kEnvs, rng, acts, none, none);
    for (int e = 0; e < kEnvs; ++e) {
      alone[e].Act({obs.data() + 3 * e, 3}, 1, rng, one, none, none);
      EXPECT_NEAR(acts[2 * e], one[0], 1e-6) << "env " << e << " step " << step;
      EXPECT_NEAR(acts[2 * e + 1], one[1], 1e-6) << "env " << e << " step " << step;
      rewards[e] = g(rng) * 10;
      ended[e] = (step + e) % 5 == 4;
      alone[e].Observe({&rewards[e], 1}, {&ended[e], 1});
    }
    together.Observe(rewards, ended);
  }
}

}  // namespace
}  // namespace fleet
