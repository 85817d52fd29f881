// The router of specialists (actor/router_policy.h): each row's encoded phase picks its
// specialist, which sees only its phase's observation; actions come back encoded the
// composite's way; handovers are counted per episode; what does not fit is refused by
// name; and evaluation of a router on Endgame-v0 reports the composite metrics.
#include "actor/router_policy.h"

#include <gtest/gtest.h>

#include "actor/evaluator.h"
#include "actor/policies.h"
#include "envs/registry.h"
#include "tests/test_util.h"

namespace fleet::actor {
namespace {

// An actor-critic whose only layer is y = W x + b (W given row by row), critic 0.
proto::PolicyWeights Linear(int in, int out, const std::vector<std::vector<float>>& w,
                            std::vector<float> b, bool discrete) {
  proto::PolicyWeights p;
  proto::Layer* l = p.mutable_actor()->add_layers();
  l->set_in_dim(in);
  l->set_out_dim(out);
  for (int r = 0; r < out; ++r) {
    for (int c = 0; c < in; ++c) l->add_weight(r < static_cast<int>(w.size()) && c < static_cast<int>(w[r].size()) ? w[r][c] : 0.0f);
    l->add_bias(b[r]);
  }
  proto::Layer* v = p.mutable_critic()->add_layers();
  v->set_in_dim(in);
  v->set_out_dim(1);
  for (int c = 0; c < in; ++c) v->add_weight(0.0f);
  v->add_bias(0.0f);
  p.set_distribution(discrete ? proto::DISTRIBUTION_CATEGORICAL : proto::DISTRIBUTION_GAUSSIAN);
  if (!discrete) {
    for (int r = 0; r < out; ++r) p.add_log_std(-1.0f);
  }
  return p;
}

std::vector<float> Row(int i, float v) {  // a weight row with v at column i
  std::vector<float> r(i + 1, 0.0f);
  r[i] = v;
  return r;
}

// Endgame-v0's specialists, each reading entries of its own observation:
//   CartPole (4 -> Discrete 2): pushes against the pole's lean (angle + 0.5 angular velocity)
//   BipedalWalker (24 -> 4): every motor 0.1 x its observation's last entry (lidar 10)
//   MountainCarContinuous (2 -> 1): 10 x velocity
//   LunarLanderContinuous (8 -> 2): (right leg contact, -x)
std::vector<proto::PolicyWeights> EndgameSpecialists() {
  return {Linear(4, 2, {{0, 0, -1.0f, -0.5f}, {0, 0, 1.0f, 0.5f}}, {0, 0}, true),
          Linear(24, 4, {Row(23, 0.1f), Row(23, 0.1f), Row(23, 0.1f), Row(23, 0.1f)}, {0, 0, 0, 0.5f}, false),
          Linear(2, 1, {Row(1, 10.0f)}, {0}, false),
          Linear(8, 2, {Row(7, 1.0f), Row(0, -1.0f)}, {0, 0}, false)};
}

envs::EnvSpec Spec(const std::string& id, const std::map<std::string, std::string>& o = {}) {
  auto s = envs::GetSpec(id, o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return *s;
}

TEST(RouterPolicyTest, EachRowIsActedOnByItsPhasesSpecialistOnItsOwnObservation) {
  auto w = MakeRouterWeights("Endgame-v0", {}, EndgameSpecialists());
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  auto policy = PolicyFromWeights(*w, Spec("Endgame-v0"), {true, 0.0});
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  EXPECT_EQ(ActingParameterCount(*w), (4 * 2 + 2) + (24 * 4 + 4 + 4) + (2 + 1 + 1) + (8 * 2 + 2 + 2));
  const int D = 29, W = 4;
  // rows in phases 2, 0, 3, 1, 0; the phase's observation starts at entry 5
  const std::vector<int> phase = {2, 0, 3, 1, 0};
  std::vector<float> obs(phase.size() * D, 0.0f);
  auto at = [&](int row, int j) -> float& { return obs[row * D + 5 + j]; };
  for (size_t i = 0; i < phase.size(); ++i) obs[i * D + phase[i]] = 1.0f;
  at(0, 1) = 0.03f;                   // car velocity -> force 0.3
  at(1, 2) = 0.1f, at(1, 3) = -0.1f;  // pole leaning right, +0.05 -> push right
  at(2, 0) = 0.4f, at(2, 7) = 1.0f;   // lander at x 0.4, right leg down -> (1, -0.4)
  at(3, 23) = 2.0f;                   // walker lidar 10 = 2 -> motors 0.2, 0.2, 0.2, 0.7
  at(4, 2) = -0.1f;                   // pole leaning left -> push left
  at(4, 23) = 9.0f;                   // (ignored: not CartPole's)
  std::vector<float> actions(phase.size() * W, 42.0f), scratch(phase.size());
  std::mt19937_64 rng(0);
  (*policy)->Act(obs, 5, rng, actions, scratch, scratch);
  const std::vector<float> expected = {0.3f, 0, 0, 0,            //
                                       -1, 1, -1, -1,            //
                                       1.0f, -0.4f, 0, 0,        //
                                       0.2f, 0.2f, 0.2f, 0.7f,   //
                                       1, -1, -1, -1};
  for (size_t k = 0; k < expected.size(); ++k) EXPECT_NEAR(actions[k], expected[k], 1e-6) << "entry " << k;
}

TEST(RouterPolicyTest, HandoversAreCountedWithinAnEpisode) {
  auto w = MakeRouterWeights("Endgame-v0", {}, EndgameSpecialists());
  ASSERT_TRUE(w.ok());
  auto made = RouterPolicy::Create(w->router(), Spec("Endgame-v0"), {true, 0.0});
  ASSERT_TRUE(made.ok());
  RouterPolicy& router = **made;
  const int D = 29;
  std::vector<float> obs(2 * D, 0.0f), actions(2 * 4), scratch(2);
  std::mt19937_64 rng(0);
  auto act = [&](int p0, int p1) {
    std::fill(obs.begin(), obs.end(), 0.0f);
    obs[p0] = 1.0f;
    obs[D + p1] = 1.0f;
    router.Act(obs, 2, rng, actions, scratch, scratch);
  };
  act(0, 0);
  act(1, 0);  // row 0 hands over
  act(2, 1);  // both do
  EXPECT_EQ(router.switches(), 3);
  EXPECT_EQ(router.TakeSwitches(0), 2);
  EXPECT_EQ(router.TakeSwitches(0), 0);
  // row 1's episode ends: its next episode's first phase is not a handover
  router.Observe(std::vector<float>{0, 0}, std::vector<uint8_t>{0, 1});
  act(2, 0);
  EXPECT_EQ(router.TakeSwitches(1), 1);
  EXPECT_EQ(router.switches(), 3);
}

TEST(RouterPolicyTest, WhatDoesNotFitIsRefusedByName) {
  auto err = [](StatusOr<proto::PolicyWeights> w) { return w.ok() ? std::string() : w.status().ToString(); };
  auto three = EndgameSpecialists();
  three.pop_back();
  EXPECT_NE(err(MakeRouterWeights("Endgame-v0", {}, three)).find("3 specialists for the 4 phases"),
            std::string::npos);
  auto swapped = EndgameSpecialists();
  std::swap(swapped[2], swapped[3]);
  EXPECT_NE(err(MakeRouterWeights("Endgame-v0", {}, swapped)).find("specialist 2 (MountainCarContinuous-v0) does not fit"),
            std::string::npos);
  auto dt = EndgameSpecialists();
  dt[1] = proto::PolicyWeights();
  dt[1].mutable_transformer()->set_state_dim(24);
  EXPECT_NE(err(MakeRouterWeights("Endgame-v0", {}, dt)).find("memoryless"), std::string::npos);
  EXPECT_NE(err(MakeRouterWeights("CartPole-v1", {}, {EndgameSpecialists()[0]})).find("needs a composite env"),
            std::string::npos);
  EXPECT_NE(err(MakeRouterWeights("Nope-v0", {}, {})).find("unknown env id"), std::string::npos);
  // made for Endgame-v0: refused on another env
  auto w = MakeRouterWeights("Endgame-v0", {}, EndgameSpecialists());
  ASSERT_TRUE(w.ok());
  auto other = PolicyFromWeights(*w, Spec("Sequential-v0"), {});
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("made for Endgame-v0, not Sequential-v0"), std::string::npos);
  // an env made with start_phase plays the router's last phases (shorter step limit): routed
  for (const char* k : {"1", "3"}) {
    auto tail = PolicyFromWeights(*w, Spec("Endgame-v0", {{"start_phase", k}}), {});
    EXPECT_TRUE(tail.ok()) << k << ": " << tail.status().ToString();
  }
  // the same id with other phases (same observation size): refused, not routed wrongly
  const std::map<std::string, std::string> discrete = {{"envs", "LunarLander-v3,MountainCar-v0"}};
  auto seq = MakeRouterWeights("Sequential-v0", discrete,
                               {Linear(8, 4, {}, {0, 0, 0, 0}, true), Linear(2, 3, {}, {0, 0, 0}, true)});
  ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  auto moved = PolicyFromWeights(
      *seq, Spec("Sequential-v0", {{"envs", "LunarLanderContinuous-v3,MountainCarContinuous-v0"}}), {});
  ASSERT_FALSE(moved.ok());
  EXPECT_NE(moved.status().message().find("is not the env acted in"), std::string::npos)
      << moved.status().ToString();
}

// A router through the evaluator on Endgame-v0 (20 balanced steps): the balancing
// specialist clears the first phase, the walker's constant gait falls, so every episode
// has one handover; the phase records and the control effort are reported per episode.
TEST(RouterPolicyTest, EvaluationReportsPhasesHandoversAndEffort) {
  testing::TempDir dir;
  const std::map<std::string, std::string> options = {{"balance_steps", "20"}};
  auto w = MakeRouterWeights("Endgame-v0", options, EndgameSpecialists());
  ASSERT_TRUE(w.ok());
  const std::string path = dir.path() + "/router.pb";
  testing::WriteFile(path, w->SerializeAsString());
  EvalRequest q;
  q.policy_file = path;
  q.env_id = "Endgame-v0";
  q.env_options = options;
  q.episodes = 3;
  q.num_envs = 2;
  q.seed = 5;
  q.choice.deterministic = true;
  auto r = EvaluatePolicy(q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->phase_names, (std::vector<std::string>{"balance", "bridge", "gap", "landing"}));
  ASSERT_EQ(r->switches.size(), 3u);
  EXPECT_EQ(r->success, std::vector<int>(3, 0));
  for (int e = 0; e < 3; ++e) {
    EXPECT_EQ(r->phase_cleared[e], (std::vector<int>{1, 0, 0, 0})) << e;
    EXPECT_EQ(r->switches[e], 1) << e;
    EXPECT_NEAR(r->phase_returns[e][0], 1.0, 1e-9);  // 20 balanced steps / 20
    EXPECT_NEAR(r->phase_returns[e][0] + r->phase_returns[e][1], r->returns[e], 1e-6);
    // the walker's motors; CartPole's encoded choice and unused entries do not count
    EXPECT_GT(r->control_effort[e], 0.0);
  }
  EXPECT_GT(r->act_seconds, 0.0);
  // the report survives its JSON form (what `fleet eval` reads back)
  auto back = EvalReport::FromJson(r->ToJson(), "report");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->phase_cleared, r->phase_cleared);
  EXPECT_EQ(back->switches, r->switches);
}

}  // namespace
}  // namespace fleet::actor
