#include "learner/normalizers.h"

#include <algorithm>
#include <cmath>

namespace fleet::learner {

RunningMeanStd::RunningMeanStd(int dim) : mean_(dim, 0.0), var_(dim, 1.0) {}

void RunningMeanStd::Set(std::vector<double> mean, std::vector<double> var, double count) {
  mean_ = std::move(mean);
  var_ = std::move(var);
  count_ = count;
}

void RunningMeanStd::Merge(const std::vector<double>& bm, const std::vector<double>& bv,
                           double bc) {
  const double total = count_ + bc;
  for (int d = 0; d < dim(); ++d) {
    const double delta = bm[d] - mean_[d];
    const double m2 = var_[d] * count_ + bv[d] * bc + delta * delta * count_ * bc / total;
    mean_[d] += delta * bc / total;
    var_[d] = m2 / total;
  }
  count_ = total;
}

void RunningMeanStd::Update(std::span<const float> batch, int64_t n) {
  if (n == 0) return;
  const int D = dim();
  std::vector<double> m(D, 0.0), v(D, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    for (int d = 0; d < D; ++d) m[d] += batch[i * D + d];
  }
  for (double& x : m) x /= static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i) {
    for (int d = 0; d < D; ++d) {
      const double e = batch[i * D + d] - m[d];
      v[d] += e * e;
    }
  }
  for (double& x : v) x /= static_cast<double>(n);
  Merge(m, v, static_cast<double>(n));
}

void RunningMeanStd::UpdateScalars(std::span<const double> values) {
  if (values.empty()) return;
  double m = 0.0, v = 0.0;
  for (double x : values) m += x;
  m /= static_cast<double>(values.size());
  for (double x : values) v += (x - m) * (x - m);
  v /= static_cast<double>(values.size());
  Merge({m}, {v}, static_cast<double>(values.size()));
}

void NormalizeInPlace(const RunningMeanStd& rms, float clip, std::span<float> rows) {
  const int D = rms.dim();
  std::vector<float> mean(D), inv_std(D);
  for (int d = 0; d < D; ++d) {
    mean[d] = static_cast<float>(rms.mean()[d]);
    inv_std[d] = static_cast<float>(1.0 / std::sqrt(rms.var()[d] + 1e-8));
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const int d = static_cast<int>(i % D);
    rows[i] = std::clamp((rows[i] - mean[d]) * inv_std[d], -clip, clip);
  }
}

void RewardScaler::Scale(uint32_t source, int T, int N, std::span<float> rewards,
                         std::span<const uint8_t> terminated, std::span<const uint8_t> truncated) {
  // Gymnasium's NormalizeReward: return = return * gamma * (1 - done) + reward, where done
  // is the previous step's end; statistics updated per step over all envs.
  std::vector<double> step_returns(N);
  for (int t = 0; t < T; ++t) {
    for (int e = 0; e < N; ++e) {
      double& g = returns_[{source, e}];
      const int i = t * N + e;
      g = g * gamma_ + rewards[i];
      step_returns[e] = g;
    }
    rms_.UpdateScalars(step_returns);
    const float inv_std = static_cast<float>(1.0 / std::sqrt(rms_.var()[0] + 1e-8));
    for (int e = 0; e < N; ++e) {
      const int i = t * N + e;
      rewards[i] = std::clamp(rewards[i] * inv_std, -clip_, clip_);
      if (terminated[i] || truncated[i]) returns_[{source, e}] = 0.0;
    }
  }
}

}  // namespace fleet::learner
