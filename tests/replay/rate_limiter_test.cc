// Reverb-style samples-per-insert rate limiting: minimum size, blocking both ways, waking
// across threads, cancellation.
#include "replay/rate_limiter.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

namespace fleet::replay {
namespace {

using std::chrono::milliseconds;

std::unique_ptr<RateLimiter> Limiter(double spi, int64_t min_size, double error_buffer) {
  auto r = RateLimiter::Create({spi, min_size, error_buffer});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(*r);
}

TEST(RateLimiterTest, SamplingWaitsForTheMinimumSize) {
  auto rl = Limiter(1.0, 3, 2.0);
  EXPECT_EQ(rl->AwaitSample(milliseconds(5)).code(), StatusCode::kDeadlineExceeded);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(rl->AwaitInsert(milliseconds(5)).ok());
  EXPECT_TRUE(rl->AwaitSample(milliseconds(5)).ok());
}

TEST(RateLimiterTest, InsertsBlockWhenSamplingFallsBehind) {
  auto rl = Limiter(2.0, 1, 2.0);  // max_diff = 1 * 2 + 2 = 4
  ASSERT_TRUE(rl->AwaitInsert(milliseconds(5)).ok());  // size < min: free, diff 2
  ASSERT_TRUE(rl->AwaitInsert(milliseconds(5)).ok());  // diff 2 + 2 <= 4 -> diff 4
  EXPECT_EQ(rl->AwaitInsert(milliseconds(5)).code(), StatusCode::kDeadlineExceeded);
  ASSERT_TRUE(rl->AwaitSample(milliseconds(5)).ok());  // diff 3
  ASSERT_TRUE(rl->AwaitSample(milliseconds(5)).ok());  // diff 2
  EXPECT_TRUE(rl->AwaitInsert(milliseconds(5)).ok());
}

TEST(RateLimiterTest, ABlockedSamplerIsWokenByAnInsertFromAnotherThread) {
  auto rl = Limiter(1.0, 1, 1.0);
  ASSERT_TRUE(rl->AwaitInsert(milliseconds(5)).ok());
  ASSERT_TRUE(rl->AwaitSample(milliseconds(5)).ok());
  std::atomic<bool> sampled{false};
  std::thread t([&] { sampled = rl->AwaitSample(milliseconds(5000)).ok(); });
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_FALSE(sampled.load());
  ASSERT_TRUE(rl->AwaitInsert(milliseconds(5)).ok());
  t.join();
  EXPECT_TRUE(sampled.load());
}

TEST(RateLimiterTest, CancelWakesWaiters) {
  auto rl = Limiter(1.0, 10, 1.0);
  Status st;
  std::thread t([&] { st = rl->AwaitSample(milliseconds(10000)); });
  std::this_thread::sleep_for(milliseconds(20));
  rl->Cancel();
  t.join();
  EXPECT_EQ(st.code(), StatusCode::kCancelled);
}

TEST(RateLimiterTest, RatioIsHeldUnderConcurrentInsertAndSample) {
  const double spi = 4.0, buffer = 8.0;
  auto rl = Limiter(spi, 100, buffer);
  std::atomic<bool> stop{false};
  std::thread inserter([&] {
    while (!stop && rl->AwaitInsert(milliseconds(1000)).ok()) {
    }
  });
  std::thread sampler([&] {
    for (int i = 0; i < 20000; ++i) ASSERT_TRUE(rl->AwaitSample(milliseconds(1000)).ok());
  });
  sampler.join();
  stop = true;
  rl->Cancel();
  inserter.join();
  // samples stay within the error buffer of inserts * spi (offset by the min size).
  const double diff = rl->inserts() * spi - rl->samples();
  EXPECT_LE(diff, 100 * spi + buffer + spi);
  EXPECT_GE(diff, 100 * spi - buffer - 1);
  EXPECT_NEAR(static_cast<double>(rl->samples()) / (rl->inserts() - 100), spi, 0.1);
}

TEST(RateLimiterTest, BadOptionsAreRejected) {
  EXPECT_FALSE(RateLimiter::Create({0.0, 1, 1.0}).ok());
  EXPECT_FALSE(RateLimiter::Create({1.0, 0, 1.0}).ok());
  EXPECT_FALSE(RateLimiter::Create({4.0, 1, 1.0}).ok());  // buffer < spi: deadlock
}

}  // namespace
}  // namespace fleet::replay
