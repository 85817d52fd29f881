// The PPO update: reproducible for a seed, moving the policy the right way, and the same
// on a CUDA device as on the CPU (that test runs only where a GPU is visible).
#include "learner/ppo.h"

#include <random>

#include <gtest/gtest.h>

namespace fleet::learner {
namespace {

// T x N steps of a continuous task: 3-dim observations, 2-dim actions.
struct Rollout {
  int T = 64, N = 2, D = 3, A = 2;
  std::vector<float> obs, next_obs, actions, rewards, logprobs, final_obs;
  std::vector<uint8_t> terminated, truncated;
  std::vector<uint32_t> final_indices;

  explicit Rollout(uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.f, 1.f);
    for (int i = 0; i < T * N * D; ++i) obs.push_back(g(rng));
    for (int i = 0; i < N * D; ++i) next_obs.push_back(g(rng));
    for (int i = 0; i < T * N; ++i) {
      float a0 = g(rng), a1 = g(rng);
      actions.push_back(a0);
      actions.push_back(a1);
      // reward favours a positive first action component.
      rewards.push_back(a0);
      logprobs.push_back(-0.5f * (a0 * a0 + a1 * a1) - 1.8378771f);  // N(0, 1) density
      terminated.push_back(i % 50 == 49);
      truncated.push_back(i % 77 == 76 && i % 50 != 49);
      if (truncated.back()) {
        final_indices.push_back(i);
        for (int k = 0; k < D; ++k) final_obs.push_back(g(rng));
      }
    }
  }
  SegmentView View() const {
    SegmentView v;
    v.num_steps = T;
    v.num_envs = N;
    v.observations = obs;
    v.continuous_actions = actions;
    v.rewards = rewards;
    v.terminated = terminated;
    v.truncated = truncated;
    v.logprobs = logprobs;
    v.next_observations = next_obs;
    v.final_indices = final_indices;
    v.final_observations = final_obs;
    return v;
  }
};

NetworkOptions Net() {
  NetworkOptions net;
  net.obs_dim = 3;
  net.action_dim = 2;
  net.discrete = false;
  net.mlp.hidden = {16, 16};
  return net;
}

std::vector<torch::Tensor> Params(Ppo& ppo) {
  std::vector<torch::Tensor> out;
  for (const auto& p : ppo.model()->parameters()) out.push_back(p.detach().to(torch::kCPU).clone());
  return out;
}

double MaxDiff(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, (a[i] - b[i]).abs().max().item<double>());
  return m;
}

UpdateStats RunUpdates(Ppo& ppo, const Rollout& r, int n) {
  UpdateStats st;
  for (int i = 0; i < n; ++i) st = ppo.Update({r.View()}, 1.0);
  return st;
}

TEST(PpoTest, SameSeedSameParameters) {
  // bitwise reproducible for a fixed thread count (the learner's learner.threads; with
  // several intra-op threads the order of float reductions may differ between runs).
  torch::set_num_threads(1);
  Rollout r(1);
  PpoConfig o;
  o.num_minibatches = 4;
  o.update_epochs = 2;
  Ppo a(Net(), o, 1, "cpu");
  RunUpdates(a, r, 2);
  Ppo b(Net(), o, 1, "cpu");
  RunUpdates(b, r, 2);
  EXPECT_EQ(MaxDiff(Params(a), Params(b)), 0.0);
  Ppo c(Net(), o, 2, "cpu");
  RunUpdates(c, r, 2);
  EXPECT_GT(MaxDiff(Params(a), Params(c)), 1e-3);
}

TEST(PpoTest, StatisticsAreAveragedOverMinibatches) {
  Rollout r(1);
  PpoConfig o;
  o.num_minibatches = 4;
  o.update_epochs = 3;
  Ppo ppo(Net(), o, 1, "cpu");
  UpdateStats st = RunUpdates(ppo, r, 1);
  EXPECT_EQ(st.samples, r.T * r.N);
  EXPECT_EQ(st.minibatch_steps, 12);
  EXPECT_GT(st.value_loss, 0.0);
  EXPECT_GT(st.entropy, 2.0);  // two unit Gaussians: 2 * 1.4189
  EXPECT_GE(st.clip_fraction, 0.0);
  EXPECT_LE(st.clip_fraction, 1.0);
}

TEST(PpoTest, TargetKlStopsAfterTheFirstEpoch) {
  Rollout r(1);
  PpoConfig o;
  o.num_minibatches = 4;
  o.update_epochs = 10;
  o.learning_rate = 1e-2;  // large steps: the KL exceeds the target within one epoch
  o.target_kl = 1e-6;
  Ppo ppo(Net(), o, 1, "cpu");
  UpdateStats st = RunUpdates(ppo, r, 1);
  EXPECT_EQ(st.minibatch_steps, 4);  // checked at the end of an epoch, as CleanRL does
}

TEST(PpoTest, PolicyMeanMovesTowardsRewardedActions) {
  Rollout r(1);
  PpoConfig o;
  o.num_minibatches = 2;
  o.update_epochs = 4;
  o.learning_rate = 3e-3;
  Ppo ppo(Net(), o, 1, "cpu");
  torch::Tensor probe = torch::from_blob(r.obs.data(), {r.T * r.N, 3}, torch::kFloat32).clone();
  auto mean_a0 = [&] {
    torch::NoGradGuard g;
    return ppo.model()->PolicyHead(probe).select(1, 0).mean().item<double>();
  };
  const double before = mean_a0();
  RunUpdates(ppo, r, 5);
  EXPECT_GT(mean_a0(), before + 0.05);
}

// Behaviour log-probs of r's actions under `ppo`'s current network, on observations
// normalized with `rms` (what an actor holding those weights and statistics computes).
std::vector<float> BehaviourLogprobs(Ppo& ppo, const Rollout& r, const RunningMeanStd& rms) {
  std::vector<float> obs = r.obs;
  NormalizeInPlace(rms, 10.0f, obs);
  torch::NoGradGuard g;
  torch::Tensor o = torch::from_blob(obs.data(), {r.T * r.N, r.D}, torch::kFloat32);
  torch::Tensor a =
      torch::from_blob(const_cast<float*>(r.actions.data()), {r.T * r.N, r.A}, torch::kFloat32);
  torch::Tensor lp = ppo.model()->Evaluate(o, a).logprob.contiguous();
  return {lp.data_ptr<float>(), lp.data_ptr<float>() + lp.numel()};
}

TEST(PpoTest, ObservationsNormalizedWithTheBehaviourStatistics) {
  // Observations far from the running statistics (mean 5, scale 3), so that statistics
  // updated with this batch normalize them visibly differently. With a learning rate of
  // 0 the network does not move: when the update normalizes as the actor did, every
  // ratio is 1 (no KL, nothing clipped).
  Rollout r(1);
  for (float& x : r.obs) x = 5.0f + 3.0f * x;
  for (float& x : r.next_obs) x = 5.0f + 3.0f * x;
  for (float& x : r.final_obs) x = 5.0f + 3.0f * x;
  PpoConfig o;
  o.norm_obs = true;
  o.learning_rate = 0.0;
  o.num_minibatches = 1;
  o.update_epochs = 1;
  NetworkOptions net = Net();
  net.mlp.init = "torch_default";  // a policy head whose mean depends visibly on the inputs
  net.mlp.log_std_init = -2.0;     // and a narrow Gaussian, as in RL Zoo's HalfCheetah config
  Ppo ppo(net, o, 1, "cpu");
  Rollout warm(2);
  ppo.mutable_obs_rms().Update(warm.obs, warm.T * warm.N);  // some earlier batch
  const RunningMeanStd shipped = *ppo.obs_rms();
  r.logprobs = BehaviourLogprobs(ppo, r, shipped);

  // segment without explicit statistics: those before the update, as shipped.
  UpdateStats st = ppo.Update({r.View()}, 1.0);
  EXPECT_LT(st.approx_kl, 1e-7);
  EXPECT_EQ(st.clip_fraction, 0.0);
  EXPECT_GT(ppo.obs_rms()->mean()[0], 1.0);  // the batch went into the statistics after

  // a lagging actor's chunk, normalized with the older statistics it names.
  SegmentView lagged = r.View();
  lagged.obs_rms = &shipped;
  st = ppo.Update({lagged}, 1.0);
  EXPECT_LT(st.approx_kl, 1e-7);
  EXPECT_EQ(st.clip_fraction, 0.0);
  // the same chunk normalized with the current statistics is off: the check above can fail.
  st = ppo.Update({r.View()}, 1.0);
  EXPECT_GT(st.approx_kl, 1e-4);
  EXPECT_GT(st.clip_fraction, 0.0);
}

TEST(PpoTest, CudaUpdateMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  Rollout r(1);
  PpoConfig o;
  o.num_minibatches = 4;
  o.update_epochs = 4;
  Ppo cpu(Net(), o, 1, "cpu");
  UpdateStats s_cpu = RunUpdates(cpu, r, 3);
  Ppo gpu(Net(), o, 1, "cuda");
  ASSERT_TRUE(gpu.device().is_cuda());
  UpdateStats s_gpu = RunUpdates(gpu, r, 3);
  EXPECT_LT(MaxDiff(Params(cpu), Params(gpu)), 1e-4);
  EXPECT_NEAR(s_cpu.value_loss, s_gpu.value_loss, 1e-4 * (1 + s_cpu.value_loss));
  EXPECT_NEAR(s_cpu.approx_kl, s_gpu.approx_kl, 1e-5);
}

}  // namespace
}  // namespace fleet::learner
