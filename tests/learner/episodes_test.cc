// Episodes out of chunks, Monte-Carlo returns and group-relative advantages, against
// hand-computed values (learner/episodes.h).
#include "learner/episodes.h"

#include <gtest/gtest.h>

#include <cmath>

namespace fleet::learner {
namespace {

// A discrete-action chunk of T steps x N envs with obs_dim 1: the observation of env e at
// step t is 100 * sequence + 10 * t + e, reward t + 1 + e / 10, logprob -(t + 1), action e.
// `ends` lists (t, e) steps where the episode terminates.
proto::TrajectoryChunk MakeChunk(uint32_t actor, uint64_t epoch, uint64_t sequence, int T, int N,
                                 std::vector<std::pair<int, int>> ends,
                                 std::vector<uint64_t> seeds = {}) {
  proto::TrajectoryChunk c;
  c.set_actor_id(actor);
  c.set_actor_epoch(epoch);
  c.set_sequence(sequence);
  c.set_num_steps(T);
  c.set_num_envs(N);
  c.set_obs_dim(1);
  c.set_action_dim(0);
  std::string term(T * N, '\0'), trunc(T * N, '\0');
  for (int t = 0; t < T; ++t) {
    for (int e = 0; e < N; ++e) {
      c.add_observations(static_cast<float>(100 * sequence + 10 * t + e));
      c.add_rewards(static_cast<float>(t + 1 + e / 10.0));
      c.add_logprobs(static_cast<float>(-(t + 1)));
      c.add_discrete_actions(e);
    }
  }
  for (auto [t, e] : ends) {
    term[t * N + e] = 1;
    c.add_final_indices(t * N + e);
    c.add_final_observations(0.0f);
    c.add_episode_returns(0.0f);
    c.add_episode_lengths(1);
  }
  for (uint64_t s : seeds) c.add_episode_seeds(s);
  c.set_terminated(term);
  c.set_truncated(trunc);
  return c;
}

TEST(DiscountedReturnsTest, HandComputed) {
  const std::vector<float> r = {1, 1, 1};
  const auto g = DiscountedReturns(r, 0.9);
  ASSERT_EQ(g.size(), 3u);
  EXPECT_FLOAT_EQ(g[2], 1.0f);
  EXPECT_FLOAT_EQ(g[1], 1.9f);   // 1 + 0.9
  EXPECT_FLOAT_EQ(g[0], 2.71f);  // 1 + 0.9 + 0.81
  const std::vector<float> r2 = {0, 0, 10};
  const auto g2 = DiscountedReturns(r2, 0.5);
  EXPECT_FLOAT_EQ(g2[0], 2.5f);
  EXPECT_FLOAT_EQ(g2[1], 5.0f);
  EXPECT_FLOAT_EQ(g2[2], 10.0f);
  EXPECT_TRUE(DiscountedReturns({}, 0.99).empty());
}

TEST(ProcessAdvantagesTest, HandComputed) {
  // rewards {1, 2} and {3}: mean 2, sample std 1 -> standardized {-1, 0} and {1};
  // summed to each episode's end: {-1, 0} and {1}.
  const std::vector<float> a = {1, 2}, b = {3};
  auto adv = ProcessAdvantages({a, b}, 0.0);
  ASSERT_EQ(adv.size(), 2u);
  EXPECT_EQ(adv[0], (std::vector<float>{-1.0f, 0.0f}));
  EXPECT_EQ(adv[1], (std::vector<float>{1.0f}));
  // {0, 4, 2} and {2}: mean 2, sample std sqrt((4 + 4 + 0 + 0) / 3) = 1.63299;
  // standardized {-1.2247, 1.2247, 0} and {0}; to the end: {0, 1.2247, 0} and {0}.
  const std::vector<float> c = {0, 4, 2}, d = {2};
  adv = ProcessAdvantages({c, d}, 0.0);
  EXPECT_NEAR(adv[0][0], 0.0, 1e-6);
  EXPECT_NEAR(adv[0][1], 2.0 / std::sqrt(8.0 / 3.0), 1e-5);
  EXPECT_NEAR(adv[0][2], 0.0, 1e-6);
  EXPECT_NEAR(adv[1][0], 0.0, 1e-6);
  // no signal: all rewards equal
  const std::vector<float> e = {1, 1}, f = {1};
  for (const auto& v : ProcessAdvantages({e, f}, 1e-4)) {
    for (float x : v) EXPECT_EQ(x, 0.0f);
  }
}

TEST(GroupAdvantagesTest, HandComputed) {
  // mean 2, sample std sqrt(((1)^2 + 0 + 1^2) / 2) = 1
  const std::vector<double> r = {1, 2, 3};
  auto a = GroupAdvantages(r, 0.0);
  EXPECT_FLOAT_EQ(a[0], -1.0f);
  EXPECT_FLOAT_EQ(a[1], 0.0f);
  EXPECT_FLOAT_EQ(a[2], 1.0f);
  // with eps: divided by (1 + 0.5)
  a = GroupAdvantages(r, 0.5);
  EXPECT_FLOAT_EQ(a[0], -1.0f / 1.5f);
  EXPECT_FLOAT_EQ(a[2], 1.0f / 1.5f);
  // 500 and 10 (CartPole lengths): mean 255, sample std 346.48...
  const std::vector<double> r2 = {500, 10};
  a = GroupAdvantages(r2, 0.0);
  EXPECT_NEAR(a[0], 245.0 / 346.4823, 1e-5);
  EXPECT_NEAR(a[1], -245.0 / 346.4823, 1e-5);
  // no signal: equal returns, or a group of one
  const std::vector<double> same = {7, 7, 7, 7};
  for (float x : GroupAdvantages(same, 1e-4)) EXPECT_EQ(x, 0.0f);
  const std::vector<double> one = {3};
  EXPECT_EQ(GroupAdvantages(one, 1e-4)[0], 0.0f);
}

TEST(EpisodeAssemblerTest, EpisodesSpanChunksAndComeOutWhole) {
  EpisodeAssembler a(/*obs_dim=*/1, /*action_dim=*/0);
  // chunk 0: env 0 ends at t=1; env 1 runs on.
  auto done = a.Add(MakeChunk(3, 77, 0, 3, 2, {{1, 0}}));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  ASSERT_EQ(done->size(), 1u);
  const Episode& e0 = (*done)[0];
  EXPECT_EQ(e0.actor_id, 3u);
  EXPECT_EQ(e0.actor_epoch, 77u);
  EXPECT_EQ(e0.env, 0u);
  EXPECT_TRUE(e0.terminated);
  EXPECT_FALSE(e0.seed.has_value());
  EXPECT_EQ(e0.observations, (std::vector<float>{0, 10}));
  EXPECT_EQ(e0.rewards, (std::vector<float>{1, 2}));
  EXPECT_EQ(e0.logprobs, (std::vector<float>{-1, -2}));
  EXPECT_EQ(e0.discrete_actions, (std::vector<int32_t>{0, 0}));
  EXPECT_DOUBLE_EQ(e0.Return(), 3.0);
  // open: env 0 has t=2 (1 step), env 1 has 3 steps.
  EXPECT_EQ(a.open_steps(), 4);

  // chunk 1: env 1 ends at t=0 (its episode: 3 steps of chunk 0 + 1), env 0 at t=2.
  done = a.Add(MakeChunk(3, 77, 1, 3, 2, {{0, 1}, {2, 0}}));
  ASSERT_TRUE(done.ok());
  ASSERT_EQ(done->size(), 2u);
  const Episode& e1 = (*done)[0];  // (step, env) order: env 1's end at t=0 comes first
  EXPECT_EQ(e1.env, 1u);
  EXPECT_EQ(e1.observations, (std::vector<float>{1, 11, 21, 101}));
  EXPECT_NEAR(e1.Return(), 1.1 + 2.1 + 3.1 + 1.1, 1e-5);
  const Episode& e2 = (*done)[1];
  EXPECT_EQ(e2.env, 0u);
  EXPECT_EQ(e2.observations, (std::vector<float>{20, 100, 110, 120}));
  EXPECT_EQ(e2.rewards, (std::vector<float>{3, 1, 2, 3}));
  EXPECT_EQ(a.open_steps(), 2);  // env 1's t=1, t=2
  EXPECT_EQ(a.dropped_episodes(), 0);
}

TEST(EpisodeAssemblerTest, EpisodesWhoseBeginningWasNotSeenAreDropped) {
  EpisodeAssembler a(1, 0);
  // the learner's first chunk of this actor is chunk 5: both envs are mid-episode.
  auto done = a.Add(MakeChunk(0, 1, 5, 2, 2, {{0, 0}}));
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->empty());
  EXPECT_EQ(a.dropped_episodes(), 1);
  EXPECT_EQ(a.dropped_steps(), 1);
  // env 0's next episode began in chunk 5 at t=1: whole.
  done = a.Add(MakeChunk(0, 1, 6, 2, 2, {{0, 0}, {1, 1}}));
  ASSERT_TRUE(done.ok());
  ASSERT_EQ(done->size(), 1u);
  EXPECT_EQ((*done)[0].env, 0u);
  EXPECT_EQ((*done)[0].length(), 2);
  EXPECT_EQ(a.dropped_episodes(), 2);  // env 1's (began before chunk 5)
  // a gap (chunk 7 missing): what is open is dropped, and env 0's episode ending in chunk
  // 8 began before it.
  done = a.Add(MakeChunk(0, 1, 8, 2, 2, {{0, 0}}));
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->empty());
  // a restarted actor (new epoch) starts at chunk 0 again: whole episodes.
  done = a.Add(MakeChunk(0, 2, 0, 2, 2, {{1, 0}, {1, 1}}));
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->size(), 2u);
  EXPECT_EQ(a.open_steps(), 0);
}

TEST(EpisodeAssemblerTest, BadChunksAreRefusedAndNothingIsKept) {
  EpisodeAssembler a(1, 0);
  proto::TrajectoryChunk c = MakeChunk(0, 1, 0, 2, 2, {});
  c.clear_logprobs();
  auto done = a.Add(c);
  ASSERT_FALSE(done.ok());
  EXPECT_NE(done.status().message().find("log-probs"), std::string::npos);
  c = MakeChunk(0, 1, 0, 2, 2, {});
  c.mutable_rewards()->RemoveLast();
  EXPECT_FALSE(a.Add(c).ok());
  c = MakeChunk(0, 1, 0, 2, 2, {});
  c.set_obs_dim(3);
  done = a.Add(c);
  ASSERT_FALSE(done.ok());
  EXPECT_NE(done.status().message().find("obs_dim 3"), std::string::npos);
  c = MakeChunk(0, 1, 0, 2, 2, {{0, 0}}, {11, 12});
  done = a.Add(c);
  ASSERT_FALSE(done.ok());
  EXPECT_NE(done.status().message().find("episode seeds"), std::string::npos);
  EXPECT_EQ(a.open_steps(), 0);
}

TEST(EpisodeGrouperTest, GroupsByActorEnvGroupAndSeed) {
  EpisodeAssembler a(1, 0);
  EpisodeGrouper g(/*group_size=*/2, /*max_wait=*/2);
  // 4 envs = groups {0, 1} and {2, 3}; envs 0 and 2 end at t=0 with seeds 5 and 9.
  auto done = a.Add(MakeChunk(0, 1, 0, 2, 4, {{0, 0}, {0, 2}}, {5, 9}));
  ASSERT_TRUE(done.ok());
  ASSERT_TRUE(g.Add(std::move(*done)).ok());
  EXPECT_TRUE(g.Take().empty());
  EXPECT_EQ(g.waiting_episodes(), 2);
  // env 1 ends with seed 5 (group 0 complete); env 3 with seed 8 (not env 2's group's seed).
  done = a.Add(MakeChunk(0, 1, 1, 2, 4, {{1, 1}, {1, 3}}, {5, 8}));
  ASSERT_TRUE(done.ok());
  ASSERT_TRUE(g.Add(std::move(*done)).ok());
  auto groups = g.Take();
  ASSERT_EQ(groups.size(), 1u);
  ASSERT_EQ(groups[0].size(), 2u);
  EXPECT_EQ(groups[0][0].env, 0u);
  EXPECT_EQ(groups[0][1].env, 1u);
  EXPECT_EQ(*groups[0][1].seed, 5u);
  // (group 1, seed 9) and (group 1, seed 8) wait; after max_wait more takes, dropped.
  EXPECT_EQ(g.waiting_episodes(), 2);
  EXPECT_TRUE(g.Take().empty());
  EXPECT_TRUE(g.Take().empty());
  EXPECT_EQ(g.dropped_groups(), 2);
  EXPECT_EQ(g.waiting_episodes(), 0);
}

TEST(EpisodeGrouperTest, EpisodesWithoutSeedsAreRefused) {
  EpisodeAssembler a(1, 0);
  EpisodeGrouper g(2, 4);
  auto done = a.Add(MakeChunk(0, 1, 0, 1, 2, {{0, 0}}));
  ASSERT_TRUE(done.ok());
  const Status st = g.Add(std::move(*done));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("env.group_size"), std::string::npos);
  EXPECT_EQ(g.waiting_episodes(), 0);
}

}  // namespace
}  // namespace fleet::learner
