// PPO's minibatch loss pinned term by term against values computed by hand on a batch of
// four samples (the arithmetic is in the comments), so that dropping or altering the
// clipped surrogate, the value clipping, the entropy bonus, the advantage normalization
// or the diagnostics fails here.
#include <cmath>

#include <gtest/gtest.h>

#include "learner/ppo.h"

namespace fleet::learner {
namespace {

torch::Tensor T(std::vector<float> v) { return torch::tensor(v, torch::kFloat32); }

struct Batch {
  // behaviour log-probs 0, current ratios r = 1.5, 0.5, 1.1, 0.7.
  torch::Tensor old_logp = T({0, 0, 0, 0});
  PolicyOutput current{T({std::log(1.5f), std::log(0.5f), std::log(1.1f), std::log(0.7f)}),
                       /*entropy=*/T({1.0f, 1.2f, 0.8f, 1.0f}),
                       /*value=*/T({1.0f, 0.2f, 1.0f, -0.5f})};
  torch::Tensor adv = T({1, 1, -1, -2});
  torch::Tensor returns = T({1, 0, 2, -1});
  torch::Tensor old_values = T({0.5f, 0.5f, 0.5f, 0.5f});
};

PpoConfig Config() {
  PpoConfig c;
  c.clip_coef = 0.2;
  c.ent_coef = 0.1;
  c.vf_coef = 0.5;
  c.norm_adv = false;
  c.clip_vloss = true;
  return c;
}

double V(const torch::Tensor& t) { return t.item<double>(); }

TEST(PpoLossTest, ClippedSurrogate) {
  Batch b;
  const PpoLossTerms t = ComputePpoLoss(b.current, b.old_logp, b.adv, b.returns, b.old_values, Config());
  // clip(r, 0.8, 1.2) = 1.2, 0.8, 1.1, 0.8
  // -A r        = -1.5, -0.5, 1.1, 1.4
  // -A clip(r)  = -1.2, -0.8, 1.1, 1.6
  // max         = -1.2, -0.5, 1.1, 1.6   mean 0.25   (the plain ratio would give 0.125)
  EXPECT_NEAR(V(t.policy_loss), 0.25, 1e-6);
}

TEST(PpoLossTest, ClippedValueLoss) {
  Batch b;
  PpoConfig c = Config();
  PpoLossTerms t = ComputePpoLoss(b.current, b.old_logp, b.adv, b.returns, b.old_values, c);
  // v - v_old = 0.5, -0.3, 0.5, -1.0 -> clipped to +-0.2 -> v_clip = 0.7, 0.3, 0.7, 0.3
  // (v - R)^2      = 0,    0.04, 1,    0.25
  // (v_clip - R)^2 = 0.09, 0.09, 1.69, 1.69
  // max            = 0.09, 0.09, 1.69, 1.69   mean 0.89   value_loss = 0.5 * 0.89
  EXPECT_NEAR(V(t.value_loss), 0.445, 1e-6);
  c.clip_vloss = false;
  t = ComputePpoLoss(b.current, b.old_logp, b.adv, b.returns, b.old_values, c);
  EXPECT_NEAR(V(t.value_loss), 0.5 * (0 + 0.04 + 1 + 0.25) / 4, 1e-6);  // 0.16125
}

TEST(PpoLossTest, TotalLossCombinesTheTerms) {
  Batch b;
  const PpoLossTerms t = ComputePpoLoss(b.current, b.old_logp, b.adv, b.returns, b.old_values, Config());
  EXPECT_NEAR(V(t.entropy), 1.0, 1e-6);  // mean of 1.0, 1.2, 0.8, 1.0
  // 0.25 - 0.1 * 1.0 + 0.5 * 0.445
  EXPECT_NEAR(V(t.loss), 0.3725, 1e-6);
}

TEST(PpoLossTest, AdvantagesAreNormalizedPerMinibatch) {
  Batch b;
  PpoConfig c = Config();
  c.norm_adv = true;
  const PpoLossTerms t = ComputePpoLoss(b.current, b.old_logp, b.adv, b.returns, b.old_values, c);
  // A = 1, 1, -1, -2: mean -0.25, unbiased std sqrt(6.75 / 3) = 1.5
  // A_n = 5/6, 5/6, -1/2, -7/6
  // -A_n r = -1.25, -5/12, 0.55, 49/60;  -A_n clip(r) = -1, -2/3, 0.55, 14/15
  // max = -1, -5/12, 0.55, 14/15   mean 1/60
  EXPECT_NEAR(V(t.policy_loss), 1.0 / 60.0, 1e-6);
}

TEST(PpoLossTest, Diagnostics) {
  Batch b;
  const PpoLossTerms t = ComputePpoLoss(b.current, b.old_logp, b.adv, b.returns, b.old_values, Config());
  // mean((r - 1) - log r) over r = 1.5, 0.5, 1.1, 0.7
  const double kl = ((0.5 - std::log(1.5)) + (-0.5 - std::log(0.5)) + (0.1 - std::log(1.1)) +
                     (-0.3 - std::log(0.7))) / 4;
  EXPECT_NEAR(V(t.approx_kl), kl, 1e-6);  // 0.0872617
  EXPECT_NEAR(V(t.clip_fraction), 0.75, 1e-7);  // |r - 1| > 0.2 for 1.5, 0.5, 0.7
}

TEST(PpoLossTest, GradientsFlowOnlyThroughTheCurrentPolicyAndValue) {
  Batch b;
  torch::Tensor logp = b.current.logprob.clone().requires_grad_(true);
  torch::Tensor value = b.current.value.clone().requires_grad_(true);
  torch::Tensor entropy = b.current.entropy.clone().requires_grad_(true);
  const PpoLossTerms t =
      ComputePpoLoss({logp, entropy, value}, b.old_logp, b.adv, b.returns, b.old_values, Config());
  t.loss.backward();
  // d loss / d logp_i = (d pg / d r_i) r_i, nonzero only where the max picks a term that
  // depends on r: sample 0 (r 1.5 > 1.2, A > 0) and sample 3 (r 0.7 < 0.8, A < 0) take the
  // clipped constant; sample 1 (r 0.5, A 1) the plain -A r: -1 * 0.5 / 4 = -0.125; sample
  // 2 (r 1.1, inside the clip range, A -1): 1 * 1.1 / 4 = 0.275.
  const auto g = logp.grad();
  EXPECT_NEAR(g[0].item<double>(), 0.0, 1e-7);  // clipped at 1.2
  EXPECT_NEAR(g[1].item<double>(), -0.125, 1e-6);
  EXPECT_NEAR(g[2].item<double>(), 0.275, 1e-6);
  EXPECT_NEAR(g[3].item<double>(), 0.0, 1e-7);  // clipped at 0.8
  // entropy bonus: -ent_coef / 4 each.
  EXPECT_NEAR(entropy.grad()[0].item<double>(), -0.025, 1e-7);
}

}  // namespace
}  // namespace fleet::learner
