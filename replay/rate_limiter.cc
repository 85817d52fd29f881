#include "replay/rate_limiter.h"

#include <algorithm>

namespace fleet::replay {

StatusOr<std::unique_ptr<RateLimiter>> RateLimiter::Create(const RateLimiterOptions& o) {
  if (!(o.samples_per_insert > 0)) return InvalidArgumentError("samples_per_insert must be > 0");
  if (o.min_size_to_sample < 1) return InvalidArgumentError("min_size_to_sample must be >= 1");
  if (o.error_buffer < std::max(1.0, o.samples_per_insert)) {
    return InvalidArgumentError("error_buffer must be >= max(1, samples_per_insert), or inserts "
                                "and samples could block each other forever");
  }
  return std::unique_ptr<RateLimiter>(new RateLimiter(o));
}

RateLimiter::RateLimiter(const RateLimiterOptions& o)
    : o_(o),
      min_diff_(o.min_size_to_sample * o.samples_per_insert - o.error_buffer),
      max_diff_(o.min_size_to_sample * o.samples_per_insert + o.error_buffer) {}

bool RateLimiter::CanInsertLocked(int64_t n) const {
  if (size_ < o_.min_size_to_sample) return true;
  const double diff = inserts_ * o_.samples_per_insert - samples_;
  return diff + n * o_.samples_per_insert <= max_diff_;
}

bool RateLimiter::CanSampleLocked(int64_t n) const {
  if (size_ < o_.min_size_to_sample) return false;
  const double diff = inserts_ * o_.samples_per_insert - samples_;
  return diff - n >= min_diff_;
}

bool RateLimiter::CanInsert(int64_t n) const {
  std::lock_guard lock(mu_);
  return CanInsertLocked(n);
}

void RateLimiter::Inserted(int64_t n) {
  std::lock_guard lock(mu_);
  inserts_ += n;
  size_ += n;
  cv_.notify_all();
}

void RateLimiter::Restored(int64_t n) {
  std::lock_guard lock(mu_);
  inserts_ += n;
  size_ += n;
  const double balanced = static_cast<double>(std::min(size_, o_.min_size_to_sample)) * o_.samples_per_insert;
  samples_ = std::max<int64_t>(0, static_cast<int64_t>(inserts_ * o_.samples_per_insert - balanced));
  cv_.notify_all();
}

bool RateLimiter::TrySample(int64_t n) {
  std::lock_guard lock(mu_);
  if (!CanSampleLocked(n)) return false;
  samples_ += n;
  cv_.notify_all();
  return true;
}

Status RateLimiter::AwaitInsert(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return cancelled_ || CanInsertLocked(1); })) {
    return DeadlineExceededError("insert blocked by the rate limiter (samples " +
                                 std::to_string(samples_) + ", inserts " + std::to_string(inserts_) + ")");
  }
  if (cancelled_) return CancelledError("rate limiter cancelled");
  ++inserts_;
  ++size_;
  cv_.notify_all();
  return OkStatus();
}

Status RateLimiter::AwaitSample(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return cancelled_ || CanSampleLocked(1); })) {
    return DeadlineExceededError("sample blocked by the rate limiter (size " + std::to_string(size_) +
                                 ", samples " + std::to_string(samples_) + ", inserts " +
                                 std::to_string(inserts_) + ")");
  }
  if (cancelled_) return CancelledError("rate limiter cancelled");
  ++samples_;
  cv_.notify_all();
  return OkStatus();
}

void RateLimiter::Removed() {
  std::lock_guard lock(mu_);
  size_ = std::max<int64_t>(0, size_ - 1);
  cv_.notify_all();
}

void RateLimiter::Cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  cv_.notify_all();
}

int64_t RateLimiter::inserts() const {
  std::lock_guard lock(mu_);
  return inserts_;
}
int64_t RateLimiter::samples() const {
  std::lock_guard lock(mu_);
  return samples_;
}
int64_t RateLimiter::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

}  // namespace fleet::replay
