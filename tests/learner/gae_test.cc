#include "learner/gae.h"

#include <vector>

#include <gtest/gtest.h>

namespace fleet::learner {
namespace {

// T = 3 steps, N = 1 env, no episode end: the textbook recursion, written out.
TEST(GaeTest, MatchesHandComputedValuesWithoutEpisodeEnds) {
  const std::vector<float> r = {1.0f, 0.5f, -1.0f}, v = {0.2f, 0.4f, 0.6f}, next = {0.8f};
  const std::vector<uint8_t> none = {0, 0, 0};
  std::vector<float> adv(3), ret(3);
  GaeInputs in{3, 1, r, v, next, none, none, {}, 0.9, 0.8};
  ComputeGae(in, adv, ret);
  const double d2 = -1.0 + 0.9 * 0.8 - 0.6;  // -0.88
  const double d1 = 0.5 + 0.9 * 0.6 - 0.4;   // 0.64
  const double d0 = 1.0 + 0.9 * 0.4 - 0.2;   // 1.16
  const double a2 = d2, a1 = d1 + 0.72 * a2, a0 = d0 + 0.72 * a1;
  EXPECT_NEAR(adv[2], a2, 1e-6);
  EXPECT_NEAR(adv[1], a1, 1e-6);
  EXPECT_NEAR(adv[0], a0, 1e-6);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(ret[i], adv[i] + v[i], 1e-6);
}

// Termination at t = 1 cuts the recursion and bootstraps from zero.
TEST(GaeTest, TerminationStopsBootstrapping) {
  const std::vector<float> r = {1.0f, 1.0f, 1.0f}, v = {0.5f, 0.5f, 0.5f}, next = {2.0f};
  const std::vector<uint8_t> term = {0, 1, 0}, trunc = {0, 0, 0};
  std::vector<float> adv(3), ret(3);
  GaeInputs in{3, 1, r, v, next, term, trunc, {}, 0.99, 0.95};
  ComputeGae(in, adv, ret);
  const double a2 = 1.0 + 0.99 * 2.0 - 0.5;
  const double a1 = 1.0 - 0.5;  // no next value, no carry-over
  const double a0 = (1.0 + 0.99 * 0.5 - 0.5) + 0.99 * 0.95 * a1;
  EXPECT_NEAR(adv[2], a2, 1e-6);
  EXPECT_NEAR(adv[1], a1, 1e-6);
  EXPECT_NEAR(adv[0], a0, 1e-6);
}

// Truncation at t = 0 bootstraps from V(final observation) = 3, not from V(s_1).
TEST(GaeTest, TruncationBootstrapsFromFinalObservationValue) {
  const std::vector<float> r = {1.0f, 1.0f}, v = {0.5f, 0.7f}, next = {0.0f};
  const std::vector<uint8_t> term = {0, 0}, trunc = {1, 0};
  const std::vector<float> trunc_values = {3.0f, 0.0f};
  std::vector<float> adv(2), ret(2);
  GaeInputs in{2, 1, r, v, next, term, trunc, trunc_values, 0.9, 0.5};
  ComputeGae(in, adv, ret);
  EXPECT_NEAR(adv[1], 1.0 + 0.0 - 0.7, 1e-6);
  EXPECT_NEAR(adv[0], 1.0 + 0.9 * 3.0 - 0.5, 1e-6);
  // without truncation values, truncation is treated as termination (CleanRL).
  GaeInputs cleanrl = in;
  cleanrl.truncation_values = {};
  ComputeGae(cleanrl, adv, ret);
  EXPECT_NEAR(adv[0], 1.0 - 0.5, 1e-6);
}

// Two envs are independent and laid out time-major.
TEST(GaeTest, EnvsAreIndependentTimeMajor) {
  // (t, e): rewards r[t * 2 + e]
  const std::vector<float> r = {1.0f, 0.0f, 1.0f, 0.0f}, v = {0, 0, 0, 0}, next = {0.0f, 10.0f};
  const std::vector<uint8_t> none = {0, 0, 0, 0};
  std::vector<float> adv(4), ret(4);
  GaeInputs in{2, 2, r, v, next, none, none, {}, 0.5, 1.0};
  ComputeGae(in, adv, ret);
  EXPECT_NEAR(adv[2], 1.0, 1e-6);         // env 0, t 1
  EXPECT_NEAR(adv[0], 1.0 + 0.5, 1e-6);   // env 0, t 0
  EXPECT_NEAR(adv[3], 5.0, 1e-6);         // env 1, t 1: 0.5 * 10
  EXPECT_NEAR(adv[1], 2.5, 1e-6);         // env 1, t 0
}

}  // namespace
}  // namespace fleet::learner
