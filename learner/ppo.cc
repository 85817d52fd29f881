#include "learner/ppo.h"

#include <algorithm>

#include "common/status.h"
#include "learner/gae.h"

namespace fleet::learner {


Ppo::Ppo(const NetworkOptions& network, const PpoConfig& config, uint64_t seed,
         const std::string& device)
    : net_(network),
      o_(config),
      device_(ResolveDevice(device)),
      model_(MakeActorCritic(network, seed)),
      optimizer_(model_->parameters(), torch::optim::AdamOptions(config.learning_rate).eps(1e-5)),
      obs_rms_(network.obs_dim) {
  model_->to(device_);
}

PpoLossTerms ComputePpoLoss(const PolicyOutput& current, const torch::Tensor& behaviour_logprob,
                            torch::Tensor adv, const torch::Tensor& returns,
                            const torch::Tensor& old_values, const PpoConfig& c) {
  PpoLossTerms t;
  const torch::Tensor logratio = current.logprob - behaviour_logprob;
  const torch::Tensor ratio = logratio.exp();
  if (c.norm_adv) adv = (adv - adv.mean()) / (adv.std() + 1e-8);
  const torch::Tensor pg1 = -adv * ratio;
  const torch::Tensor pg2 = -adv * torch::clamp(ratio, 1 - c.clip_coef, 1 + c.clip_coef);
  t.policy_loss = torch::max(pg1, pg2).mean();
  if (c.clip_vloss) {
    const torch::Tensor unclipped = (current.value - returns).pow(2);
    const torch::Tensor clipped =
        (old_values + torch::clamp(current.value - old_values, -c.clip_coef, c.clip_coef) - returns)
            .pow(2);
    t.value_loss = 0.5 * torch::max(unclipped, clipped).mean();
  } else {
    t.value_loss = 0.5 * (current.value - returns).pow(2).mean();
  }
  t.entropy = current.entropy.mean();
  t.loss = t.policy_loss - c.ent_coef * t.entropy + c.vf_coef * t.value_loss;
  {
    torch::NoGradGuard no_grad;
    t.approx_kl = ((ratio - 1) - logratio).mean();
    t.clip_fraction = ((ratio - 1.0).abs() > c.clip_coef).to(torch::kFloat32).mean();
  }
  return t;
}

UpdateStats Ppo::Update(const std::vector<SegmentView>& segments, double lr_fraction) {
  FLEET_CHECK(!segments.empty());
  const int D = net_.obs_dim;
  const int A = net_.discrete ? 1 : net_.action_dim;
  int64_t B = 0, n_boot = 0;
  for (const auto& s : segments) {
    B += int64_t{s.num_steps} * s.num_envs;
    n_boot += s.num_envs + static_cast<int64_t>(s.final_indices.size());
  }

  // gather observations of every step, then the bootstrap observations (next and final).
  std::vector<float> obs_host(static_cast<size_t>(B + n_boot) * D);
  std::vector<float> logp_host(B), act_f(net_.discrete ? 0 : B * A);
  std::vector<int64_t> act_i(net_.discrete ? B : 0);
  {
    size_t o = 0, k = 0;
    for (const auto& s : segments) {
      std::copy(s.observations.begin(), s.observations.end(), obs_host.begin() + o);
      o += s.observations.size();
      std::copy(s.logprobs.begin(), s.logprobs.end(), logp_host.begin() + k);
      if (net_.discrete) {
        std::copy(s.discrete_actions.begin(), s.discrete_actions.end(), act_i.begin() + k);
      } else {
        std::copy(s.continuous_actions.begin(), s.continuous_actions.end(), act_f.begin() + k * A);
      }
      k += s.logprobs.size();
    }
    for (const auto& s : segments) {
      std::copy(s.next_observations.begin(), s.next_observations.end(), obs_host.begin() + o);
      o += s.next_observations.size();
      std::copy(s.final_observations.begin(), s.final_observations.end(), obs_host.begin() + o);
      o += s.final_observations.size();
    }
  }
  if (o_.norm_obs) {
    // Normalize as the actors did: each segment with the statistics shipped with the
    // weights that produced it (before, everything was normalized with statistics that
    // already included this batch, so ratios started away from 1: on HalfCheetah with
    // 512-step batches, clip fractions of 0.4-0.55 at lr 2e-5). The batch updates the
    // statistics afterwards, for the next weights.
    const RunningMeanStd before = obs_rms_;
    obs_rms_.Update({obs_host.data(), static_cast<size_t>(B) * D}, B);
    size_t o = 0, boot = static_cast<size_t>(B) * D;
    for (const auto& s : segments) {
      const RunningMeanStd& rms = s.obs_rms != nullptr ? *s.obs_rms : before;
      FLEET_CHECK(rms.dim() == D);
      NormalizeInPlace(rms, clip_obs(), {obs_host.data() + o, s.observations.size()});
      o += s.observations.size();
      const size_t nb = s.next_observations.size() + s.final_observations.size();
      NormalizeInPlace(rms, clip_obs(), {obs_host.data() + boot, nb});
      boot += nb;
    }
  }
  torch::Tensor all_obs =
      torch::from_blob(obs_host.data(), {B + n_boot, D}, torch::kFloat32).to(device_);
  torch::Tensor values_all;
  {
    torch::NoGradGuard no_grad;
    values_all = model_->Value(all_obs).to(torch::kCPU).contiguous();
  }
  const float* v = values_all.data_ptr<float>();

  // advantages per segment.
  std::vector<float> adv(B), ret(B), trunc_values;
  {
    int64_t k = 0, boot = B;
    for (const auto& s : segments) {
      const int64_t n = int64_t{s.num_steps} * s.num_envs;
      std::span<const float> next_values(v + boot, s.num_envs);
      boot += s.num_envs;
      trunc_values.assign(n, 0.0f);
      for (size_t j = 0; j < s.final_indices.size(); ++j) trunc_values[s.final_indices[j]] = v[boot + j];
      boot += static_cast<int64_t>(s.final_indices.size());
      GaeInputs in;
      in.num_steps = s.num_steps;
      in.num_envs = s.num_envs;
      in.rewards = s.rewards;
      in.values = {v + k, static_cast<size_t>(n)};
      in.next_values = next_values;
      in.terminated = s.terminated;
      in.truncated = s.truncated;
      if (o_.bootstrap_truncated) in.truncation_values = trunc_values;
      in.gamma = o_.gamma;
      in.lambda = o_.gae_lambda;
      ComputeGae(in, {adv.data() + k, static_cast<size_t>(n)}, {ret.data() + k, static_cast<size_t>(n)});
      k += n;
    }
  }

  torch::Tensor b_obs = all_obs.slice(0, 0, B);
  torch::Tensor b_actions =
      net_.discrete ? torch::from_blob(act_i.data(), {B}, torch::kInt64).to(device_)
                    : torch::from_blob(act_f.data(), {B, A}, torch::kFloat32).to(device_);
  torch::Tensor b_logp = torch::from_blob(logp_host.data(), {B}, torch::kFloat32).to(device_);
  torch::Tensor b_adv = torch::from_blob(adv.data(), {B}, torch::kFloat32).to(device_);
  torch::Tensor b_ret = torch::from_blob(ret.data(), {B}, torch::kFloat32).to(device_);
  torch::Tensor b_val = values_all.slice(0, 0, B).to(device_);
  // from_blob does not own its memory: the host vectors above outlive every use.

  const double lr = o_.learning_rate * lr_fraction;
  for (auto& group : optimizer_.param_groups()) {
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
  }

  UpdateStats st;
  st.learning_rate = lr;
  st.samples = B;
  const int64_t mb = std::max<int64_t>(1, B / o_.num_minibatches);
  // Statistics stay on the device and are read once at the end (no per-minibatch host
  // synchronization, which dominates on a GPU); with target_kl the last minibatch's KL
  // is read once per epoch, as CleanRL does.
  torch::Tensor sums = torch::zeros({5}, torch::TensorOptions().dtype(torch::kFloat32).device(device_));
  int count = 0;
  for (int epoch = 0; epoch < o_.update_epochs; ++epoch) {
    torch::Tensor perm = torch::randperm(B, torch::TensorOptions().dtype(torch::kInt64)).to(device_);
    torch::Tensor last_kl;
    for (int64_t start = 0; start + mb <= B; start += mb) {
      torch::Tensor idx = perm.slice(0, start, start + mb);
      torch::Tensor obs = b_obs.index_select(0, idx);
      torch::Tensor act = b_actions.index_select(0, idx);
      PolicyOutput out = model_->Evaluate(obs, act);
      PpoLossTerms t = ComputePpoLoss(out, b_logp.index_select(0, idx), b_adv.index_select(0, idx),
                                      b_ret.index_select(0, idx), b_val.index_select(0, idx), o_);
      optimizer_.zero_grad();
      t.loss.backward();
      torch::nn::utils::clip_grad_norm_(model_->parameters(), o_.max_grad_norm);
      optimizer_.step();
      {
        torch::NoGradGuard no_grad;
        last_kl = t.approx_kl;
        sums.add_(torch::stack({t.approx_kl, t.clip_fraction, t.policy_loss.detach(),
                                t.value_loss.detach(), t.entropy.detach()}));
        ++count;
      }
    }
    if (o_.target_kl > 0 && last_kl.defined() && last_kl.item<double>() > o_.target_kl) break;
  }
  st.minibatch_steps = count;
  if (count > 0) {
    torch::Tensor m = (sums / count).to(torch::kCPU);
    const float* a = m.data_ptr<float>();
    st.approx_kl = a[0];
    st.clip_fraction = a[1];
    st.policy_loss = a[2];
    st.value_loss = a[3];
    st.entropy = a[4];
  }
  torch::Tensor ret_cpu = b_ret.to(torch::kCPU), val_cpu = b_val.to(torch::kCPU);
  const double var_y = ret_cpu.var().item<double>();
  st.explained_variance =
      var_y == 0 ? 0.0 : 1.0 - (ret_cpu - val_cpu).var().item<double>() / var_y;
  return st;
}

}  // namespace fleet::learner
