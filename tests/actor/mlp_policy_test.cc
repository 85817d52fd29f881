// The actors' Eigen policy must compute what the learner's libtorch model computes.
#include "actor/mlp_policy.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "learner/actor_critic.h"
#include "learner/normalizers.h"
#include "learner/weights.h"

namespace fleet {
namespace {

struct Case {
  bool discrete;
  int action_dim;
  const char* activation;
};

class MlpPolicyTest : public ::testing::TestWithParam<Case> {};

TEST_P(MlpPolicyTest, MatchesLibtorchForward) {
  const Case c = GetParam();
  torch::manual_seed(3);
  learner::NetworkOptions net;
  net.obs_dim = 5;
  net.action_dim = c.action_dim;
  net.discrete = c.discrete;
  net.mlp.hidden = {16, 8};
  net.mlp.activation = c.activation;
  learner::ActorCritic model(net);
  {
    // move the output layers away from their tiny initial gains so errors would show.
    torch::NoGradGuard g;
    for (auto& p : model->parameters()) p.add_(torch::randn_like(p) * 0.3);
  }
  proto::PolicyWeights w = learner::ExportWeights(model, 7);
  auto policy = actor::MlpPolicy::FromProto(w, 5, c.action_dim, c.discrete);
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  EXPECT_EQ(policy->version(), 7u);

  const int batch = 6;
  torch::Tensor obs = torch::randn({batch, 5}) * 2.0;
  std::vector<float> obs_v(obs.data_ptr<float>(), obs.data_ptr<float>() + obs.numel());
  std::vector<float> actions(batch * (c.discrete ? 1 : c.action_dim)), logp(batch), values(batch);
  std::mt19937_64 rng(1);
  policy->Act(obs_v, batch, rng, actions, logp, values);

  torch::Tensor act_t = c.discrete
                            ? torch::tensor(std::vector<int64_t>(actions.begin(), actions.end()))
                            : torch::from_blob(actions.data(), {batch, c.action_dim}).clone();
  torch::NoGradGuard g;
  learner::PolicyOutput out = model->Evaluate(obs, act_t);
  for (int b = 0; b < batch; ++b) {
    EXPECT_NEAR(values[b], out.value[b].item<float>(), 1e-4) << "value " << b;
    EXPECT_NEAR(logp[b], out.logprob[b].item<float>(), 1e-4) << "logprob " << b;
  }
  // greedy actions are the argmax / the mean.
  std::vector<float> greedy(actions.size());
  policy->ActGreedy(obs_v, batch, greedy);
  torch::Tensor head = model->PolicyHead(obs);
  for (int b = 0; b < batch; ++b) {
    if (c.discrete) {
      EXPECT_EQ(greedy[b], head[b].argmax().item<int64_t>());
    } else {
      for (int j = 0; j < c.action_dim; ++j) {
        EXPECT_NEAR(greedy[b * c.action_dim + j], head[b][j].item<float>(), 1e-4);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Heads, MlpPolicyTest,
                         ::testing::Values(Case{true, 3, "tanh"}, Case{true, 2, "relu"},
                                           Case{false, 2, "tanh"}),
                         [](const auto& info) {
                           return std::string(info.param.discrete ? "Categorical" : "Gaussian") +
                                  "_" + info.param.activation;
                         });

// An env with an action mask (TicTacToe-v0's layout: 9 cells, then 9 mask entries): the
// actors' policy never samples or picks a masked action, its log-probs equal the learner's
// masked ones, and the learner gives masked actions probability 0.
TEST(MlpPolicyMaskTest, MaskedActionsAreNeverChosenAndLogProbsMatchTheLearner) {
  torch::manual_seed(5);
  learner::NetworkOptions net;
  net.obs_dim = 18;
  net.action_dim = 9;
  net.discrete = true;
  net.action_mask_offset = 9;
  net.mlp.hidden = {32, 32};
  learner::ActorCritic model(net);
  {
    torch::NoGradGuard g;
    for (auto& p : model->parameters()) p.add_(torch::randn_like(p) * 0.5);
  }
  proto::PolicyWeights w = learner::ExportWeights(model, 1);
  auto policy = actor::MlpPolicy::FromProto(w, 18, 9, true, 9);
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  EXPECT_FALSE(actor::MlpPolicy::FromProto(w, 18, 9, true, 10).ok());  // past the observation

  const int batch = 64;
  std::mt19937_64 rng(2);
  std::bernoulli_distribution legal(0.3);
  std::vector<float> obs(batch * 18);
  for (int b = 0; b < batch; ++b) {
    int n_legal = 0;
    for (int j = 0; j < 9; ++j) {
      const bool l = legal(rng) || (j == 8 && n_legal == 0);
      n_legal += l;
      obs[b * 18 + j] = l ? 0.0f : (j % 2 ? 1.0f : -1.0f);
      obs[b * 18 + 9 + j] = l ? 1.0f : 0.0f;
    }
  }
  std::vector<float> actions(batch), logp(batch), values(batch), greedy(batch);
  for (int round = 0; round < 50; ++round) {
    policy->Act(obs, batch, rng, actions, logp, values);
    for (int b = 0; b < batch; ++b) {
      ASSERT_EQ(obs[b * 18 + 9 + static_cast<int>(actions[b])], 1.0f) << "row " << b;
    }
  }
  policy->ActGreedy(obs, batch, greedy);
  for (int b = 0; b < batch; ++b) EXPECT_EQ(obs[b * 18 + 9 + static_cast<int>(greedy[b])], 1.0f);

  torch::Tensor obs_t = torch::from_blob(obs.data(), {batch, 18}).clone();
  torch::Tensor act_t = torch::tensor(std::vector<int64_t>(actions.begin(), actions.end()));
  torch::NoGradGuard g;
  learner::PolicyOutput out = model->Evaluate(obs_t, act_t);
  torch::Tensor probs = torch::softmax(model->PolicyHead(obs_t), 1);
  for (int b = 0; b < batch; ++b) {
    EXPECT_NEAR(logp[b], out.logprob[b].item<float>(), 1e-4) << "logprob " << b;
    EXPECT_TRUE(std::isfinite(out.entropy[b].item<float>()));
    for (int j = 0; j < 9; ++j) {
      if (obs[b * 18 + 9 + j] == 0.0f) {
        EXPECT_EQ(probs[b][j].item<float>(), 0.0f);
      }
    }
  }
}

TEST(MlpPolicyFromProtoTest, RejectsInconsistentWeights) {
  torch::manual_seed(0);
  learner::NetworkOptions net;
  net.obs_dim = 4;
  net.action_dim = 2;
  learner::ActorCritic model(net);
  proto::PolicyWeights w = learner::ExportWeights(model, 1);
  EXPECT_FALSE(actor::MlpPolicy::FromProto(w, 5, 2, true).ok());   // wrong obs_dim
  EXPECT_FALSE(actor::MlpPolicy::FromProto(w, 4, 3, true).ok());   // wrong action count
  EXPECT_FALSE(actor::MlpPolicy::FromProto(w, 4, 2, false).ok());  // wrong distribution
  proto::PolicyWeights broken = w;
  broken.mutable_actor()->mutable_layers(1)->mutable_weight()->RemoveLast();
  auto st = actor::MlpPolicy::FromProto(broken, 4, 2, true);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("layer 1"), std::string::npos);
}

TEST(MlpPolicySamplingTest, DiscreteSamplesFollowTheSoftmax) {
  torch::manual_seed(5);
  learner::NetworkOptions net;
  net.obs_dim = 2;
  net.action_dim = 3;
  learner::ActorCritic model(net);
  {
    torch::NoGradGuard g;
    for (auto& p : model->parameters()) p.add_(torch::randn_like(p));
  }
  auto policy = actor::MlpPolicy::FromProto(learner::ExportWeights(model, 0), 2, 3, true);
  ASSERT_TRUE(policy.ok());
  const int n = 20000;
  std::vector<float> obs(2 * n, 0.3f), actions(n), logp(n), values(n);
  std::mt19937_64 rng(2);
  policy->Act(obs, n, rng, actions, logp, values);
  std::vector<int> counts(3);
  for (float a : actions) counts[static_cast<int>(a)]++;
  torch::NoGradGuard g;
  torch::Tensor p = torch::softmax(model->PolicyHead(torch::full({1, 2}, 0.3f)), -1);
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(counts[k] / static_cast<double>(n), p[0][k].item<double>(), 0.015) << k;
  }
}

}  // namespace
}  // namespace fleet

namespace fleet {
namespace {

// With an observation normalizer in the weights, actors normalize (and clip) exactly as
// the learner does before its forward pass.
TEST(MlpPolicyNormalizerTest, NormalizesLikeTheLearner) {
  torch::manual_seed(2);
  learner::NetworkOptions net;
  net.obs_dim = 3;
  net.action_dim = 2;
  net.discrete = false;
  learner::ActorCritic model(net);
  proto::PolicyWeights w = learner::ExportWeights(model, 1);
  learner::RunningMeanStd rms(3);
  rms.Set({1.0, -2.0, 0.5}, {4.0, 0.25, 9.0}, 100.0);
  auto* n = w.mutable_obs_normalizer();
  n->mutable_mean()->Add(rms.mean().begin(), rms.mean().end());
  n->mutable_var()->Add(rms.var().begin(), rms.var().end());
  n->set_clip(5.0f);
  auto policy = actor::MlpPolicy::FromProto(w, 3, 2, false);
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  std::vector<float> raw = {3.0f, -2.5f, 100.0f, 0.0f, 0.0f, 0.0f};
  std::vector<float> normalized = raw;
  learner::NormalizeInPlace(rms, 5.0f, normalized);
  EXPECT_FLOAT_EQ(normalized[2], 5.0f);  // (100 - 0.5) / 3 clipped to 5
  std::vector<float> greedy(4);
  policy->ActGreedy(raw, 2, greedy);
  torch::NoGradGuard g;
  torch::Tensor head = model->PolicyHead(torch::from_blob(normalized.data(), {2, 3}).clone());
  for (int b = 0; b < 2; ++b) {
    for (int j = 0; j < 2; ++j) EXPECT_NEAR(greedy[b * 2 + j], head[b][j].item<float>(), 1e-4);
  }
}

}  // namespace
}  // namespace fleet
