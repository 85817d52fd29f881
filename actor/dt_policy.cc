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
  out_.resize(A);
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
    const int L = static_cast<int>(c.steps.size());
    states_.resize(static_cast<size_t>(L) * D);
    actions_.resize(static_cast<size_t>(L) * A);
    rtg_.resize(L);
    timesteps_.resize(L);
    for (int k = 0; k < L; ++k) {
      const Step& st = c.steps[k];
      std::copy(st.state.begin(), st.state.end(), states_.begin() + k * D);
      std::copy(st.action.begin(), st.action.end(), actions_.begin() + k * A);
      rtg_[k] = st.rtg;
      timesteps_[k] = st.timestep;
    }
    model_.PredictLast(states_, actions_, rtg_, timesteps_, L, out_);
    if (model_.discrete()) {
      const int a = static_cast<int>(std::max_element(out_.begin(), out_.end()) - out_.begin());
      actions[e] = static_cast<float>(a);
      c.steps.back().action[a] = 1.0f;
    } else {
      std::copy(out_.begin(), out_.end(), actions.begin() + e * width);
      std::copy(out_.begin(), out_.end(), c.steps.back().action.begin());
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
