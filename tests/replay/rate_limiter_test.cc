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

// The event loop's calls, by hand: spi 2, min size 4, buffer 10 -> min_diff -2,
// max_diff 18 (diff = 2 inserts - samples).
TEST(RateLimiterTest, NonBlockingCallsFollowTheSameBounds) {
  auto rl = Limiter(2.0, 4, 10.0);
  EXPECT_TRUE(rl->CanInsert(3));  // size 0 < 4: free
  rl->Inserted(3);                // size 3, diff 6
  EXPECT_FALSE(rl->TrySample(1));  // size 3 < 4
  EXPECT_TRUE(rl->CanInsert(100));  // still below the minimum size: free
  rl->Inserted(3);                  // size 6, diff 12
  EXPECT_TRUE(rl->CanInsert(3));    // 12 + 6 <= 18
  EXPECT_FALSE(rl->CanInsert(4));   // 12 + 8 > 18: a chunk goes in whole or waits
  EXPECT_TRUE(rl->TrySample(14));   // 12 - 14 = -2 >= -2
  EXPECT_EQ(rl->samples(), 14);
  EXPECT_FALSE(rl->TrySample(1));   // -3 < -2
  EXPECT_EQ(rl->samples(), 14);     // a refused sample counts nothing
  EXPECT_TRUE(rl->CanInsert(10));   // -2 + 20 <= 18
  EXPECT_FALSE(rl->CanInsert(11));
  EXPECT_EQ(rl->inserts(), 6);
  EXPECT_EQ(rl->size(), 6);
  // both refuse at once only below the least buffer: (n spi + k) / 2
  EXPECT_DOUBLE_EQ(RateLimiter::MinErrorBuffer(16, 4.0, 32), 48.0);
}

// A refilled table (a resumed run) is balanced at once: spi 2, min size 4, buffer 10:
// after 6 restored items diff = 4 x 2 = 8 (the middle of [-2, 18]); below the minimum size
// the samples stay 0.
TEST(RateLimiterTest, RestoredItemsLeaveTheTableBalanced) {
  auto rl = Limiter(2.0, 4, 10.0);
  rl->Restored(3);  // size 3 < 4: diff 6, nothing sampled
  EXPECT_EQ(rl->samples(), 0);
  EXPECT_FALSE(rl->TrySample(1));
  rl->Restored(3);  // size 6: samples = 12 - 8 = 4
  EXPECT_EQ(rl->inserts(), 6);
  EXPECT_EQ(rl->size(), 6);
  EXPECT_EQ(rl->samples(), 4);
  EXPECT_TRUE(rl->CanInsert(5));    // 8 + 10 <= 18
  EXPECT_FALSE(rl->CanInsert(6));
  EXPECT_TRUE(rl->TrySample(10));   // 8 - 10 = -2 >= -2
}

TEST(RateLimiterTest, BadOptionsAreRejected) {
  EXPECT_FALSE(RateLimiter::Create({0.0, 1, 1.0}).ok());
  EXPECT_FALSE(RateLimiter::Create({1.0, 0, 1.0}).ok());
  EXPECT_FALSE(RateLimiter::Create({4.0, 1, 1.0}).ok());  // buffer < spi: deadlock
}

}  // namespace
}  // namespace fleet::replay
