#include "learner/offline_source.h"

#include <algorithm>

namespace fleet::learner {

StatusOr<std::unique_ptr<OfflineSource>> OfflineSource::Open(const std::string& dataset,
                                                             const envs::EnvSpec& spec,
                                                             int64_t cache_bytes,
                                                             std::vector<std::string>* warnings) {
  auto data = replay::StreamingWindowSampler::Open(dataset, cache_bytes, warnings);
  if (!data.ok()) {
    return Status(data.status().code(), "dataset '" + dataset + "': " + data.status().message());
  }
  const int obs_dim = spec.observation_space.FlatDim();
  const int action_width = spec.action_space.is_discrete() ? 1 : spec.action_space.FlatDim();
  if ((*data)->obs_dim() != obs_dim || (*data)->action_width() != action_width) {
    return InvalidArgumentError("dataset '" + dataset + "' has observations of " +
                                std::to_string((*data)->obs_dim()) + " and actions of " +
                                std::to_string((*data)->action_width()) + " values; " + spec.id +
                                " has " + std::to_string(obs_dim) + " and " +
                                std::to_string(action_width));
  }
  if ((*data)->episodes() == 0) {
    return FailedPreconditionError("dataset '" + dataset + "' holds no episode");
  }
  std::unique_ptr<OfflineSource> s(new OfflineSource(std::move(*data)));
  if (!spec.action_space.is_discrete()) {
    s->low_.assign(spec.action_space.low.begin(), spec.action_space.low.end());
    s->high_.assign(spec.action_space.high.begin(), spec.action_space.high.end());
  }
  const replay::EpisodeDataset::Summary& sum = s->data_->summary();
  DatasetStats& st = s->stats_;
  st.episodes = s->data_->episodes();
  st.steps = s->data_->steps();
  st.obs_mean = sum.obs_mean;
  st.obs_std = sum.obs_std;
  for (double& x : st.obs_std) x += 1e-6;  // the official code's epsilon
  st.best_return = *std::max_element(sum.returns.begin(), sum.returns.end());
  double total = 0;
  for (double r : sum.returns) total += r;
  st.mean_return = total / static_cast<double>(sum.returns.size());
  st.max_episode_len = static_cast<int>(*std::max_element(sum.lengths.begin(), sum.lengths.end()));
  return s;
}

Status OfflineSource::Next(int batch, int k, std::mt19937_64& rng, WindowBatch& out) {
  const int D = data_->obs_dim(), A = data_->action_width(), K = k;
  out.batch = batch;
  out.k = K;
  out.obs_dim = D;
  out.action_width = A;
  out.observations.resize(static_cast<size_t>(batch) * K * D);
  out.actions.resize(static_cast<size_t>(batch) * K * A);
  out.returns_to_go.resize(static_cast<size_t>(batch) * K);
  out.timesteps.resize(static_cast<size_t>(batch) * K);
  out.mask.resize(static_cast<size_t>(batch) * K);
  for (int b = 0; b < batch; ++b) {
    FLEET_RETURN_IF_ERROR(data_->Sample(rng, K, window_));
    std::copy(window_.obs.begin(), window_.obs.end(), out.observations.begin() + size_t(b) * K * D);
    std::copy(window_.actions.begin(), window_.actions.end(), out.actions.begin() + size_t(b) * K * A);
    if (!low_.empty()) {
      float* a = out.actions.data() + size_t(b) * K * A;
      for (int i = 0; i < K * A; ++i) a[i] = std::clamp(a[i], low_[i % A], high_[i % A]);
    }
    std::copy(window_.returns_to_go.begin(), window_.returns_to_go.end(),
              out.returns_to_go.begin() + size_t(b) * K);
    std::copy(window_.timesteps.begin(), window_.timesteps.end(), out.timesteps.begin() + size_t(b) * K);
    std::copy(window_.mask.begin(), window_.mask.end(), out.mask.begin() + size_t(b) * K);
  }
  return OkStatus();
}

}  // namespace fleet::learner
