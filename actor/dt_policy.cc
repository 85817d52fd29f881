#include "actor/dt_policy.h"

#include <algorithm>

namespace fleet::actor {

DtPolicy::DtPolicy(DtModel model, uint64_t version, double target_return)
    : model_(std::move(model)),
      version_(version),
      target_(target_return != 0.0 ? target_return : model_.target_return()) {}

void DtPolicy::Act(std::span<const float> obs, int n, std::mt19937_64&, std::span<float> actions,
                   std::span<float>, std::span<float>) {
  const int D = model_.state_dim(), A = model_.act_dim(), K = model_.context_len();
  const int width = model_.discrete() ? 1 : A;
  if (static_cast<int>(envs_.size()) != n) {
    envs_.assign(n, Context{});
    for (auto& c : envs_) c.rtg = static_cast<float>(target_ / model_.rtg_scale());
  }
  // every env's context, packed one after the other, through one forward pass
  lengths_.resize(n);
  states_.clear();
  actions_.clear();
  rtg_.clear();
  timesteps_.clear();
  for (int e = 0; e < n; ++e) {
    Context& c = envs_[e];
    Step s;
    s.state.resize(D);
    for (int d = 0; d < D; ++d) {
      s.state[d] = (obs[e * D + d] - model_.state_mean()[d]) / model_.state_std()[d];
    }
    s.action.assign(A, 0.0f);  // not taken yet; the state token does not see it
    s.rtg = c.rtg;
    s.timestep = c.timestep;
    c.steps.push_back(std::move(s));
    while (static_cast<int>(c.steps.size()) > K) c.steps.pop_front();
    lengths_[e] = static_cast<int>(c.steps.size());
    for (const Step& st : c.steps) {
      states_.insert(states_.end(), st.state.begin(), st.state.end());
      actions_.insert(actions_.end(), st.action.begin(), st.action.end());
      rtg_.push_back(st.rtg);
      timesteps_.push_back(st.timestep);
    }
  }
  out_.resize(static_cast<size_t>(n) * A);
  model_.PredictLastBatch(lengths_, states_, actions_, rtg_, timesteps_, out_);
  for (int e = 0; e < n; ++e) {
    const auto pred = std::span<const float>(out_).subspan(static_cast<size_t>(e) * A, A);
    std::vector<float>& taken = envs_[e].steps.back().action;
    if (model_.discrete()) {
      const int a = static_cast<int>(std::max_element(pred.begin(), pred.end()) - pred.begin());
      actions[e] = static_cast<float>(a);
      taken[a] = 1.0f;
    } else {
      std::copy(pred.begin(), pred.end(), actions.begin() + e * width);
      std::copy(pred.begin(), pred.end(), taken.begin());
    }
  }
}

void DtPolicy::Observe(std::span<const float> rewards, std::span<const uint8_t> ended) {
  for (size_t e = 0; e < envs_.size() && e < rewards.size(); ++e) {
    Context& c = envs_[e];
    if (ended[e]) {
      c = Context{};
      c.rtg = static_cast<float>(target_ / model_.rtg_scale());
      continue;
    }
    c.rtg -= rewards[e] / model_.rtg_scale();
    ++c.timestep;
  }
}

}  // namespace fleet::actor
