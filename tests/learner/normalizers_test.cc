#include "learner/normalizers.h"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace fleet::learner {
namespace {

TEST(RunningMeanStdTest, MatchesBatchStatisticsAcrossUpdates) {
  std::mt19937 rng(0);
  std::normal_distribution<float> a(3.0f, 2.0f), b(-1.0f, 0.5f);
  std::vector<float> all;
  RunningMeanStd rms(2);
  for (int chunk = 0; chunk < 5; ++chunk) {
    std::vector<float> rows;
    for (int i = 0; i < 400; ++i) {
      rows.push_back(a(rng));
      rows.push_back(b(rng));
    }
    rms.Update(rows, 400);
    all.insert(all.end(), rows.begin(), rows.end());
  }
  for (int d = 0; d < 2; ++d) {
    double m = 0, v = 0;
    for (size_t i = d; i < all.size(); i += 2) m += all[i];
    m /= 2000;
    for (size_t i = d; i < all.size(); i += 2) v += (all[i] - m) * (all[i] - m);
    v /= 2000;
    EXPECT_NEAR(rms.mean()[d], m, 1e-4);
    EXPECT_NEAR(rms.var()[d], v, 1e-3);
  }
  std::vector<float> x = {3.0f + 2.0f, -1.0f, 1000.0f, 0.0f};
  NormalizeInPlace(rms, 10.0f, x);
  EXPECT_NEAR(x[0], 1.0f, 0.1f);  // one standard deviation above the mean
  EXPECT_NEAR(x[1], 0.0f, 0.1f);
  EXPECT_FLOAT_EQ(x[2], 10.0f);   // clipped
}

TEST(RewardScalerTest, DividesByTheDiscountedReturnStdAndResetsAtEpisodeEnds) {
  RewardScaler scaler(0.9, 10.0f);
  // two envs, constant reward 2; env 1 ends its episode at t = 1.
  std::vector<float> r = {2, 2, 2, 2, 2, 2};
  const std::vector<uint8_t> term = {0, 0, 0, 1, 0, 0}, trunc(6, 0);
  scaler.Scale(0, 3, 2, r, term, trunc);
  for (float x : r) {
    EXPECT_TRUE(std::isfinite(x));
    EXPECT_GT(x, 0.0f);
  }
  // returns seen: t0 2,2; t1 3.8,3.8; t2 5.42, 2 (env 1 restarted) -> positive variance.
  EXPECT_GT(scaler.stats().var()[0], 0.0);
  EXPECT_GT(scaler.stats().count(), 5.9);
  // later rewards are scaled by the same statistics for every env.
  std::vector<float> r2 = {1, 1};
  const std::vector<uint8_t> none(2, 0);
  scaler.Scale(0, 1, 2, r2, none, none);
  EXPECT_FLOAT_EQ(r2[0], r2[1]);
  EXPECT_LT(r2[0], 1.0f);  // std of returns > 1 shrinks rewards
}

}  // namespace
}  // namespace fleet::learner
