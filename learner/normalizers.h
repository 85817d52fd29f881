// Running statistics for observation normalization and reward scaling, as CleanRL's
// ppo_continuous_action.py gets them from Gymnasium's NormalizeObservation and
// NormalizeReward wrappers (parallel-variance update, epsilon 1e-8, clip 10). Plain C++;
// not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <utility>
#include <vector>

namespace fleet::learner {

// Mean and variance of a stream of vectors (Chan et al.'s parallel update), starting
// from count 1e-4 as Gymnasium's RunningMeanStd does.
class RunningMeanStd {
 public:
  explicit RunningMeanStd(int dim = 1);
  // `batch` is (n x dim), row-major.
  void Update(std::span<const float> batch, int64_t n);
  void UpdateScalars(std::span<const double> values);
  int dim() const { return static_cast<int>(mean_.size()); }
  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& var() const { return var_; }
  double count() const { return count_; }
  void Set(std::vector<double> mean, std::vector<double> var, double count);

 private:
  void Merge(const std::vector<double>& batch_mean, const std::vector<double>& batch_var,
             double batch_count);
  std::vector<double> mean_, var_;
  double count_ = 1e-4;
};

// (x - mean) / sqrt(var + 1e-8), clipped to +-clip, in place over (n x dim) rows.
void NormalizeInPlace(const RunningMeanStd& rms, float clip, std::span<float> rows);

// Reward scaling per env stream: rewards are divided by the standard deviation of a
// running discounted return (reset at episode ends), then clipped.
class RewardScaler {
 public:
  RewardScaler(double gamma, float clip) : gamma_(gamma), clip_(clip) {}
  // Scales `rewards` ((T x N) time-major) of stream group `source` (e.g. an actor id) in
  // place; `done` marks episode ends.
  void Scale(uint32_t source, int num_steps, int num_envs, std::span<float> rewards,
             std::span<const uint8_t> terminated, std::span<const uint8_t> truncated);
  const RunningMeanStd& stats() const { return rms_; }
  RunningMeanStd& mutable_stats() { return rms_; }

 private:
  double gamma_;
  float clip_;
  RunningMeanStd rms_{1};
  std::map<std::pair<uint32_t, int>, double> returns_;
};

}  // namespace fleet::learner
