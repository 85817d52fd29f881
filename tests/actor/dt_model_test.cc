// The actors' Eigen Decision Transformer computes what the learner's libtorch model
// computes: the action predicted from the last state token of a context, for every
// context length, with and without the front padding of training, ReLU and GELU,
// continuous and discrete actions (max abs difference < 1e-5).
#include "actor/dt_model.h"

#include <gtest/gtest.h>

#include "actor/dt_policy.h"
#include "learner/decision_transformer.h"
#include "learner/dt_algorithm.h"

namespace fleet {
namespace {

struct Case {
  const char* activation;
  bool discrete;
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
  auto model = actor::DtModel::FromProto(Export(m));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const int K = c.context_len;
  torch::Tensor states = torch::randn({1, K, D});
  torch::Tensor actions = p.discrete ? torch::one_hot(torch::randint(0, A, {1, K}), A).to(torch::kFloat32)
                                     : torch::rand({1, K, A}) * 2 - 1;
  torch::Tensor rtg = torch::randn({1, K});
  torch::Tensor steps = torch::arange(40, 40 + K).view({1, K}).to(torch::kInt64);
  double worst = 0;
  std::vector<float> out(A);
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
    // Eigen: the L steps alone.
    const torch::Tensor s = states.narrow(1, 0, L).contiguous(), a = actions.narrow(1, 0, L).contiguous(),
                        r = rtg.narrow(1, 0, L).contiguous(), t = steps.narrow(1, 0, L).contiguous();
    model->PredictLast({s.data_ptr<float>(), size_t(L * D)}, {a.data_ptr<float>(), size_t(L * A)},
                       {r.data_ptr<float>(), size_t(L)}, {t.data_ptr<int64_t>(), size_t(L)}, L, out);
    for (int j = 0; j < A; ++j) worst = std::max(worst, std::abs(out[j] - pred[j].item<double>()));
  }
  EXPECT_LT(worst, 1e-5);
  RecordProperty("max_abs_difference", std::to_string(worst));
}

INSTANTIATE_TEST_SUITE_P(Dt, DtModelTest,
                         ::testing::Values(Case{"relu", false}, Case{"gelu", false},
                                           Case{"relu", true}));

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
  actor::DtPolicy policy(*model, 3);
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

}  // namespace
}  // namespace fleet
